"""Custom Rasa NLU components. The logic lives in plain modules (normalize, entities,
urgency, textclf); these classes only plug it into Rasa's graph."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.textclf import TriageClassifier
from bot.nlu.entities import default_extractor
from bot.nlu.normalize import has_words, normalize
from bot.nlu.urgency import detect_urgency
from bot.nlu.urgency_model import LetterUrgencyModel, data_fingerprint
from bot.nlu.urgency_model import training_rows as urgency_training_rows


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    """Jieba on normalised text (simplified, half-width, typos fixed); the normaliser keeps
    lengths, so token offsets still point into the original text."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute)
        if attribute != TEXT:
            return super().tokenize(message, attribute)
        tokens = [Token(word, start) for word, start, _ in jieba.tokenize(normalize(text))]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """spaCy EntityRuler + regexes (bot/nlu/entities.py) for estate/building/unit/room/phone/time."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RuleEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        extractor = default_extractor()
        for message in messages:
            found = [
                {**entity, "extractor": self.__class__.__name__, "confidence_entity": 1.0}
                for entity in extractor.extract(message.get(TEXT) or "")
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TriageIntentClassifier(GraphComponent, IntentClassifier):
    """Intent ranking, primary/secondary category (bot/nlu/textclf.py) and urgency by rules with
    a learned second opinion for letters (bot/nlu/urgency.py, urgency_model.py), stored on the
    message as `intent`, `intent_ranking` and `triage`."""

    FILE = "triage_classifier.joblib"
    URGENCY_FILE = "letter_urgency.joblib"

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 classifier: Optional[TriageClassifier] = None,
                 letter_urgency: Optional[LetterUrgencyModel] = None) -> None:
        self._storage = model_storage
        self._resource = resource
        self.classifier = classifier
        self.letter_urgency = letter_urgency

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # the letter urgency model reads nlu_data/urgency/, which Rasa does not see
        return data_fingerprint()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TriageIntentClassifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        self.classifier = TriageClassifier().fit(
            [m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples])
        self.letter_urgency = LetterUrgencyModel().fit(urgency_training_rows())
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self.classifier, Path(directory) / self.FILE)
            joblib.dump(self.letter_urgency, Path(directory) / self.URGENCY_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TriageIntentClassifier":
        with model_storage.read_from(resource) as directory:
            classifier = joblib.load(Path(directory) / cls.FILE)
            letter_urgency = joblib.load(Path(directory) / cls.URGENCY_FILE)
        return cls(model_storage, resource, classifier, letter_urgency)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self.classifier is None or not text.strip():
                continue
            if not has_words(text):  # "？？？", emoji: nothing to act on
                message.set(INTENT, {"name": "nlu_fallback", "confidence": 1.0},
                            add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            prediction = self.classifier.predict(text)
            urgency = detect_urgency(text, letter_model=self.letter_urgency)
            message.set(INTENT, prediction.intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, prediction.ranking[:10], add_to_output=True)
            message.set("triage", {
                "category": prediction.category,
                "secondary": prediction.secondary,
                "confidence": prediction.confidence,
                "urgency": urgency.level,
                "urgency_rule": urgency.rule,
            }, add_to_output=True)
        return messages
