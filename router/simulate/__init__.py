"""`wismo simulate`: a synthetic shop run through the real service, twice.

The same seeded world (orders, parcels, carrier scans, delays, losses) is played against the
real `Service` (memory bus, simulated clock, local fake Twilio) once with proactive notices and
once without; customers write when anxious, the report compares the two runs. See
docs/simulation.md for the model and its parameters.

Modules: `shop` (orders, lanes, parcel stories), `customers` (who writes when; the desk),
`fakes` (the Twilio REST fake), `run` (the loop), `report` (metrics, table, JSON), `chart`
(the SVG line chart).
"""
