"""Quality gates on the held-out sets, measured with the real trained model (issue 2 targets:
held-out macro-F1 >= 0.95, emergency recall 100%)."""
HELDOUT_MACRO_F1_FLOOR = 0.95
LONG_LETTERS_ACCURACY_FLOOR = 0.95
LONG_LETTERS_SVM_SLACK = 0.02  # the SVM baseline reads letters as well as we do (one in fifty)
POLICY_TOP3_FLOOR = 0.95
POLICY_TOP1_FLOOR = 0.87


def test_heldout_macro_f1_floor(evaluation):
    assert evaluation["heldout"]["model"].macro_f1 >= HELDOUT_MACRO_F1_FLOOR


def _accuracy(by_set: dict, sets: tuple[str, ...], model: str) -> float:
    return sum(by_set[s][model] * by_set[s]["n"] for s in sets) / sum(by_set[s]["n"] for s in sets)


def test_long_letters(evaluation):
    """Letters of 250-1,200 characters by writers who never saw the training data: the sets
    written to test categories (the urgency set's categories are incidental to it)."""
    by_set = evaluation["heldout_letters"]["by_set"]
    sets = ("long_letters", "boundary_letters")
    model = _accuracy(by_set, sets, "model")
    assert model >= LONG_LETTERS_ACCURACY_FLOOR
    assert model >= _accuracy(by_set, sets, "tfidf_svm") - LONG_LETTERS_SVM_SLACK
    assert model > _accuracy(by_set, sets, "keyword") + 0.05


def test_emergency_recall_is_total_on_heldout_letters(evaluation):
    """Present emergencies inside long letters, next to letters that tell of past ones, by a
    writer who never saw the rules or the letter model's training data."""
    e = evaluation["heldout_letters"]["emergency"]
    assert e["emergencies"] >= 20
    assert e["recall"] == 1.0, evaluation["heldout_letters"]["missed_emergencies"]
    assert e["false_alarms"] <= 0.15 * e["normals"]


def test_model_beats_both_baselines_on_heldout(evaluation):
    h = evaluation["heldout"]
    assert h["model"].macro_f1 > h["tfidf_svm"].macro_f1 + 0.02
    assert h["model"].macro_f1 > h["keyword"].macro_f1 + 0.1


def test_emergency_recall_is_total_on_heldout(evaluation):
    e = evaluation["heldout"]["emergency"]
    assert e["emergencies"] >= 20
    assert e["recall"] == 1.0, evaluation["heldout"]["missed_emergencies"]
    assert e["false_alarms"] <= 0.03 * e["normals"]


def test_two_problem_messages_keep_the_first_mentioned_as_primary(evaluation):
    assert evaluation["heldout"]["two_problem"]["primary_accuracy"] >= 0.85
    assert evaluation["heldout"]["two_problem"]["secondary_recall"] >= 0.7


def test_conversation_intents(evaluation):
    assert evaluation["conversation_intents"]["accuracy"] >= 0.75


def test_policy_retrieval_beats_keyword_baseline(evaluation):
    p = evaluation["policy"]
    assert p["model"]["top3"] >= POLICY_TOP3_FLOOR
    assert p["model"]["top1"] >= POLICY_TOP1_FLOOR
    assert p["model"]["top1"] > p["keyword"]["top1"] + 0.2
