import numpy as np

from bot.nlu.normalize import normalize
from bot.nlu.textclf import LEXICON_MAX_LENGTH, TriageClassifier

TRAIN = [("电梯坏了", "elevator"), ("电梯停运三天", "elevator"), ("车位被人占了", "parking"),
         ("外来车辆乱停", "parking"), ("楼上邻居太吵", "other"), ("小区外面修地铁", "other")]


def _fitted() -> TriageClassifier:
    return TriageClassifier().fit([t for t, _ in TRAIN], [c for _, c in TRAIN])


def test_lexicon_prior_moves_short_messages():
    clf = _fitted()
    text = normalize("地锁")  # a parking term the toy model never saw
    raw = clf.model.decision_function(clf._features([text]))[0]
    with_prior = clf._scores([text])[0]
    assert with_prior[clf.classes.index("parking")] > raw[clf.classes.index("parking")]


def test_letters_are_left_to_the_learned_model():
    clf = _fitted()
    letter = normalize("地锁" + "情况是这样的" * (LEXICON_MAX_LENGTH // 6 + 1))
    assert len(letter) >= LEXICON_MAX_LENGTH
    raw = clf.model.decision_function(clf._features([letter]))[0]
    assert np.allclose(clf._scores([letter])[0], raw)
