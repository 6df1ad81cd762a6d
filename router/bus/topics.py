"""Topic names (logical; a bus may add a configured prefix on the wire)."""

INBOUND = "wismo.inbound.v1"
DECISIONS = "wismo.decisions.v1"
OUTBOUND = "wismo.outbound.v1"
ESCALATIONS = "wismo.escalations.v1"
TRACKING = "wismo.tracking.v1"
DESK = "wismo.desk.v1"
DLQ = "wismo.dlq.v1"

ALL = (INBOUND, DECISIONS, OUTBOUND, ESCALATIONS, TRACKING, DESK, DLQ)
