"""Intent, entities and language of a customer message."""

from pathlib import Path

from router.classify.base import Classifier, Result
from router.classify.classifier import MODEL_PATH, ModelClassifier
from router.classify.entities import EntityExtractor
from router.settings import ClassifierSettings

__all__ = ["Classifier", "ModelClassifier", "Result", "load_classifier"]


def load_classifier(settings: ClassifierSettings) -> ModelClassifier:
    """The shipped model (or the configured one) with the shop's order-number patterns."""
    path = Path(settings.model_path) if settings.model_path else MODEL_PATH
    return ModelClassifier.load(path, EntityExtractor(settings.order_patterns))
