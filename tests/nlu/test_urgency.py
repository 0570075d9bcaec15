import pytest

from bot.nlu.data import read_jsonl
from bot.nlu.urgency import detect_urgency
from bot.nlu.urgency_model import MIN_CHARS, URGENCY_DIR, LetterUrgencyModel


@pytest.mark.parametrize("text", [
    "3号楼电梯又坏了,我妈被关在里面!",
    "電梯突然往下掉,裡面有人!",
    "地下车库进水了,水还在往里灌",
    "楼道里电动车着火了,浓烟很大",
    "家里闻到一股很重的煤气味",
    "暖气管爆了,水哗哗往楼下流",
    "电箱冒火花了",
    "老人摔倒了,已经叫了120",
    "电梯卡在了十四楼和十五楼之间,我爸到现在还没有出来",
    "一个小男孩掉进北门那个没盖的井里了,已经有人打了119和120",
    "冰溜子砸在一个放学回家的小学生头上,孩子血流了一脸",
    "客厅的吊顶突然咔的一声往下塌了一大块,水哗地浇下来",
    "有个陌生男的拿着一把菜刀在楼道里一层层砸门,我已经报了110",
    "老周下井通管道,下去没两分钟就没声了,119和120都打了",
    "外墙瓷砖现在还在成片往下掉,楼下就是幼儿园接送通道",
    "保温板翻起来了,已有碎块掉落在通道上,游乐场里仍有孩子在玩",
    "单元门口正上方的冰溜子要掉了!!!",
    "台风还没过去,路边那棵老榕树随时会倒,还有人从树底下走",
    "昨晚刮大风,今早下楼发现电线断了泡在积水里,水面上一直在冒小火花",
    "车库顶板的混凝土一块一块剥落,又掉下来两块砸在车上,裂缝明显长了",
    "一个小孩爬到九楼窗外的空调外机架子上了,物业已经报119了",
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
    "消防通道被私家车堵死,一旦起火后果不堪设想",
    "今天下午物业在5号楼搞了一场电梯困人应急救援演练",
    "雪四天没铲,老人都被困在家里出不了门",
    "楼下饭店的油烟直往我家窗户里灌",
    "电动车电池起火的新闻大家都看过",
    "当晚八点我和邻居闻到楼道里有很浓的燃气味,物业电话没人接",
    "今年二月,6号楼楼道一辆电动车充电起火,是住户自己扑灭的",
    "消火栓是救命的东西,可是打开没有水",
    "4号楼外墙瓷砖脱落好几块了,请物业排查",
    "最近刷到新闻,外地有小区电动车在楼道充电着火",
    "有一天晚上我真的梦见被困在电梯里",
    "后来查清楚是锅烧糊了,没有起明火",
    "教官说一氧化碳几口就能让人晕倒",
    "井盖都还在,也没有塌,但我总担心哪天车一压就翻了",
    "全年处理电梯困人报警31起,燃气泄漏报警4起",
    "外省一个小区半夜电瓶车起火,烟顺着楼梯往上走",
    "电梯门一开一关就咯吱咯吱响",
])
def test_not_emergencies(text):
    assert detect_urgency(text).level == "normal"


def test_rule_and_evidence_are_reported():
    result = detect_urgency("我被困在电梯里了")
    assert result.rule == "lift_trapped" and result.evidence


def test_a_trigger_does_not_vouch_for_itself():
    # 救命 is both a trigger and a "now" marker; told as a story it must not override 当时
    assert detect_urgency("我当时一直喊救命,后来师傅把门撬开了").level == "normal"
    assert detect_urgency("救命,我被困在电梯里了").level == "emergency"


def test_rules_on_the_urgency_letters():
    """Long letters by six writers who never saw the rules. Each set was measured once on
    arrival; its misses and false alarms then shaped the rules, and it now trains the letter
    model. This guards the rules alone on them. The untouched check is
    tests/heldout/letters/urgency_letters.jsonl, gated in test_quality.py."""
    rows = [r for path in sorted(URGENCY_DIR.glob("*.jsonl")) for r in read_jsonl(path)]
    emergencies = [r["text"] for r in rows if r["urgency"] == "emergency"]
    normals = [r["text"] for r in rows if r["urgency"] == "normal"]
    assert len(emergencies) >= 100
    missed = [t[:80] for t in emergencies if detect_urgency(t).level != "emergency"]
    assert not missed
    false_alarms = sum(detect_urgency(t).level == "emergency" for t in normals)
    assert false_alarms <= 0.25 * len(normals)


LETTER = ("尊敬的物业:我是九号楼的住户,写这封信是想说说我们楼的情况。" * 12)[:MIN_CHARS]


def _toy_model() -> LetterUrgencyModel:
    """A real model on a toy corpus: 'X' letters are emergencies, 'Y' letters are not."""
    rows = [{"text": LETTER + "X" * 20 * (i + 1), "urgency": "emergency"} for i in range(4)]
    rows += [{"text": LETTER + "Y" * 20 * (i + 1), "urgency": "normal"} for i in range(4)]
    return LetterUrgencyModel().fit(rows)


def test_letter_model_adds_an_emergency_the_rules_missed():
    model = _toy_model()
    letter = LETTER + "X" * 30
    assert detect_urgency(letter).level == "normal"
    found = detect_urgency(letter, letter_model=model)
    assert (found.level, found.rule) == ("emergency", "letter_model")
    assert detect_urgency(LETTER + "Y" * 30, letter_model=model).level == "normal"


def test_letter_model_never_removes_a_rule_emergency_and_skips_short_texts():
    model = _toy_model()
    assert model.probability("电梯里有人XXXX") is None
    rule_hit = LETTER + "Y" * 30 + ",我被困在电梯里了"
    assert detect_urgency(rule_hit, letter_model=model).rule == "lift_trapped"


def test_letter_model_needs_both_classes():
    with pytest.raises(ValueError, match="both"):
        LetterUrgencyModel().fit([{"text": LETTER, "urgency": "normal"}] * 3)
