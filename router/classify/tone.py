"""Is the customer upset? A cheap, explainable check; an upset customer gets a human too.

Anger words and profanity in five languages, angry emoji, or shouting (mostly capitals) with
a run of exclamation marks. It errs on the side of a person looking at the conversation.
"""

from __future__ import annotations

import re

from router.classify.features import fold

ANGER = re.compile(
    r"(?<![a-z])(?:fuck\w*|f+ck\w*|shit\w*|wtf|ffs|bullshit|crap|pissed|bloody hell|"
    r"furious|livid|angry|outraged|ridiculous|unacceptable|disgusting|disgrace\w*|pathetic|"
    r"useless|incompetent|worst|scam(?:s|mer|mers|med)?|fraud|rip ?off|fed up|"
    r"sick (?:and tired )?of|"
    r"never (?:again|ordering|buying)|lawyer|sue you|trading standards|chargeback|bbb|"
    r"verguenza|indignante|estafa|harto|harta|honteux|honteuse|inadmissible|scandal\w*|"
    r"arnaque|marre|unverschamt|frechheit|skandal|betrug|absurdo|palhacada|golpe)(?![a-z])"
)
ANGRY_EMOJI = frozenset("😡🤬😤👿💢🖕")


def angry(text: str) -> bool:
    if any(c in ANGRY_EMOJI for c in text):
        return True
    if ANGER.search(fold(text[:2000])):
        return True
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) >= 0.7 * len(letters)
    return shouting and "!!" in text
