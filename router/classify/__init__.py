"""Intent, entities and language of a customer message."""

from router.classify.base import Classifier, Result
from router.classify.rules import RuleClassifier

__all__ = ["Classifier", "Result", "RuleClassifier"]
