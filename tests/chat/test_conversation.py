"""The conversation steps against a real SQLite database with the demo registry."""
import pytest
from sqlalchemy import select

from bot.chat import conversation
from bot.store import orders
from bot.store.models import ConversationEscalation


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chat.db'}")
    conversation._engine.cache_clear()
    from bot.store.seed import load_demo_registry

    with conversation.session_scope() as session:
        load_demo_registry(session)
    yield
    conversation._engine.cache_clear()


def triage(category, urgency="normal", confidence=0.95, rule=None):
    return {"category": category, "secondary": [], "urgency": urgency,
            "urgency_rule": rule, "confidence": confidence}


def test_clear_report_goes_to_the_form():
    reply = conversation.start_report("3号楼电梯坏了", "elevator", triage("elevator"),
                                      [{"entity": "building", "value": "3"}],
                                      [{"name": "elevator", "confidence": 0.95}], None)
    assert reply.slots["report_step"] == "collect"
    assert reply.slots["building"] == "3" and reply.slots["report_category"] == "elevator"
    assert "电梯" in reply.texts[-1]


def test_emergency_gives_safety_advice_first():
    reply = conversation.start_report("电梯困人了", "elevator",
                                      triage("elevator", "emergency", rule="lift_trapped"),
                                      [], [{"name": "elevator", "confidence": 0.99}], None)
    assert reply.texts[0].startswith("【紧急】") and "120" in reply.texts[0]
    assert reply.slots["urgency"] == "emergency" and reply.slots["report_step"] == "collect"


def test_unsure_category_offers_buttons_and_a_button_keeps_the_description():
    ranking = [{"name": "access_control", "confidence": 0.45},
               {"name": "elevator", "confidence": 0.4}]
    reply = conversation.start_report("门打不开了", "access_control",
                                      triage("access_control", confidence=0.45), [], ranking, None)
    assert reply.slots["report_step"] == "choose"
    assert [b["payload"] for b in reply.buttons][:2] == ["/access_control", "/elevator"]
    assert "还是" in reply.texts[0]
    picked = conversation.start_report("/elevator", "elevator", {}, [], [], "门打不开了")
    assert picked.slots["description"] == "门打不开了"
    assert picked.slots["report_category"] == "elevator" and picked.slots["report_step"] == "collect"


def test_phone_validation():
    assert conversation.validate_phone("138-1234-5678").slots["phone"] == "13812345678"
    bad = conversation.validate_phone("12345")
    assert bad.slots["phone"] is None and "11位" in bad.texts[0]


def test_estate_matching_and_unknown_estate():
    assert conversation.validate_estate("阳光花园", 0).slots["estate"] == "阳光花园"
    fuzzy = conversation.validate_estate("阳光花园小区3号楼", 0)
    assert fuzzy.slots["estate"] == "阳光花园"
    first = conversation.validate_estate("火星基地", 0)
    assert first.slots["estate"] is None and first.slots["estate_attempts"] == 1
    second = conversation.validate_estate("火星基地", 1)
    assert second.slots["estate"] == "火星基地" and "热线" in second.texts[0]


def _slots(**extra):
    base = {"report_category": "elevator", "urgency": "normal", "description": "3号楼电梯坏了",
            "estate": "阳光花园", "building": "3", "unit": None, "room": None,
            "phone": "13812345678"}
    return {**base, **extra}


def test_open_order_then_repeat_is_linked():
    first = conversation.open_order(_slots(), conversation_id="c1", channel="rasa")
    number = first.slots["order_number"]
    assert number.startswith("WY-") and number in first.texts[0]
    assert "负责处理" in first.texts[0]
    again = conversation.open_order(_slots(description="电梯还是坏的"), conversation_id="c2",
                                    channel="rasa")
    assert again.slots["order_number"] == number and "不再重复立单" in again.texts[0]
    with conversation.session_scope() as session:
        order = orders.get_by_number(session, number)
        assert order.contact_masked == "138****5678"
        assert order.due_reply is not None and order.assignee_org_id is not None


def test_emergency_order_goes_to_company_level():
    reply = conversation.open_order(_slots(urgency="emergency", phone=None,
                                           description="电梯困人了"),
                                    conversation_id="c3", channel="rasa")
    with conversation.session_scope() as session:
        order = orders.get_by_number(session, reply.slots["order_number"])
        assert order.urgency == "emergency" and order.assignee_level == "company"
        assert order.due_onsite is not None


def test_status_info_rating_cancel_and_human():
    number = conversation.open_order(_slots(category="parking", report_category="parking",
                                            description="车位被占"),
                                     conversation_id="c4", channel="rasa").slots["order_number"]
    assert "已派单" in conversation.check_status(f"{number}到哪了", None).texts[0]
    assert number in conversation.add_info("占车位的是一辆白色轿车", number).texts[0]
    assert "WY-20990101-0001" in conversation.check_status("WY-20990101-0001", None).texts[0]
    with conversation.session_scope() as session:
        order = orders.get_by_number(session, number)
        for status in ("accepted", "resolved"):
            orders.transition(session, order, status, actor="staff:test")
    unhappy = conversation.rate_service("不满意,根本没处理", number)
    assert "重新交办" in unhappy.texts[0]
    with conversation.session_scope() as session:
        assert orders.get_by_number(session, number).status == "reopened"
    assert "已撤销" in conversation.cancel_order("撤销工单", number).texts[0]
    conversation.request_human("c4", "rasa", number, "转人工")
    with conversation.session_scope() as session:
        escalation = session.execute(select(ConversationEscalation)).scalar_one()
        assert escalation.conversation_id == "c4" and escalation.status == "open"


def test_score_words():
    assert conversation.score_of("打3分") == 3
    assert conversation.score_of("五星好评") == 5
    assert conversation.score_of("不满意") == 1
    assert conversation.score_of("嗯") is None


def test_a_question_inside_a_complaint_is_answered_with_a_citation():
    text = "物业因为我欠了物业费就把我家的水停了,这合法吗?"
    reply = conversation.start_report(text, "property_fee", triage("property_fee"), [],
                                      [{"name": "property_fee", "confidence": 0.95}], None)
    assert any(t.startswith("关于您的疑问") and "依据" in t for t in reply.texts)
    plain = conversation.start_report("3号楼电梯坏了", "elevator", triage("elevator"), [],
                                      [{"name": "elevator", "confidence": 0.95}], None)
    assert not any("关于您的疑问" in t for t in plain.texts)
