import pytest

from bot.nlu.lexicon import Lexicon, default_lexicon
from bot.nlu.normalize import normalize


def test_longest_match_wins_and_counts_once():
    hits = default_lexicon().hits("电动车进电梯了,楼道的light坏了")
    assert [(h.term, h.category) for h in hits][:1] == [("电动车进电梯", "corridor_clutter")]
    assert ("light", "facility_maintenance") in [(h.term, h.category) for h in hits]


def test_traditional_text_matches_after_normalisation():
    counts = default_lexicon().category_counts("電梯壞了")
    assert counts.get("elevator")


def test_a_term_in_two_categories_is_refused(tmp_path):
    (tmp_path / "lexicon_x.yml").write_text("parking:\n  a: [车位被占]\nelevator:\n  b: [车位被占]\n",
                                            encoding="utf-8")
    with pytest.raises(ValueError, match="both"):
        Lexicon.load(tmp_path)


def test_unknown_category_is_refused(tmp_path):
    (tmp_path / "lexicon_x.yml").write_text("lifts:\n  a: [电梯坏了]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown category"):
        Lexicon.load(tmp_path)


def test_typos_are_corrected_without_changing_length():
    assert normalize("闸几老是夹人 物叶也不修") == "闸机老是夹人 物业也不修"


@pytest.mark.parametrize("text, category", [
    ("社区迟迟不让我们成立业委会", "other"),        # owners' committee affairs: none of the ten
    ("大家商量着换物业", "service_quality"),         # replacing the company is service quality
    ("附近垃圾焚烧厂天天冒黑烟", "other"),            # pollution from outside the estate
    ("交房三年外墙渗水", "facility_maintenance"),      # a developer-era defect is a broken thing
])
def test_boundary_terms_follow_categories_md(text, category):
    counts = default_lexicon().category_counts(text)
    assert max(counts, key=counts.get) == category, counts


def test_neutral_words_stop_an_accidental_match():
    counts = default_lexicon().category_counts("小区外墙大面积渗水")
    assert "other" not in counts
    assert counts.get("facility_maintenance")
    assert default_lexicon().category_counts("车停在小区外面的马路上").get("other")


def test_neutral_terms_count_for_no_category(tmp_path):
    (tmp_path / "lexicon_x.yml").write_text("other:\n  a: [房产证]\nneutral:\n  b: [房产证明]\n",
                                            encoding="utf-8")
    lexicon = Lexicon.load(tmp_path)
    assert lexicon.category_counts("请提供房产证明") == {}
    assert lexicon.category_counts("房产证办不下来") == {"other": 1}
