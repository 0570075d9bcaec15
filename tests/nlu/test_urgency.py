import pytest

from bot.nlu.urgency import detect_urgency


@pytest.mark.parametrize("text", [
    "3号楼电梯又坏了,我妈被关在里面!",
    "電梯突然往下掉,裡面有人!",
    "地下车库进水了,水还在往里灌",
    "楼道里电动车着火了,浓烟很大",
    "家里闻到一股很重的煤气味",
    "暖气管爆了,水哗哗往楼下流",
    "电箱冒火花了",
    "老人摔倒了,已经叫了120",
])
def test_emergencies(text):
    assert detect_urgency(text).level == "emergency"


@pytest.mark.parametrize("text", [
    "上个月电梯困过人,物业一直没修",
    "担心电梯随时会掉下来",
    "小区存在火灾隐患",
    "电梯坏了三天了",
    "热水器打不着火",
    "昨夜积水倒灌进地下室,目前水已退去,要求整改",
])
def test_not_emergencies(text):
    assert detect_urgency(text).level == "normal"


def test_rule_and_evidence_are_reported():
    result = detect_urgency("我被困在电梯里了")
    assert result.rule == "lift_trapped" and result.evidence
