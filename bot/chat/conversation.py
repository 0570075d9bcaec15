"""Conversation steps of a report, in plain Python (the Rasa actions are thin adapters).

Every function returns what to say and which slots change; none of them raises to the
resident: a failure becomes a polite message and a logged error.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.chat.replies import ORDER_NUMBER, STATUS_ZH, safety_advice
from bot.core.categories import CATEGORY_IDS, load_categories
from bot.core.phone import is_mainland_mobile, mask_phone, normalise_phone

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
UNSURE_CONFIDENCE = 0.6      # below this the bot asks which problem it is
RUNNER_UP_CONFIDENCE = 0.15  # ...if a second category is a real candidate
MAX_ESTATE_ATTEMPTS = 2      # after this many misses an unregistered estate is accepted
DEFAULT_PROFILE = "jinan_12345"


@dataclass
class Reply:
    texts: list[str] = field(default_factory=list)
    buttons: list[dict] = field(default_factory=list)
    slots: dict = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _engine():
    from bot.store.db import make_engine, upgrade

    upgrade()
    return make_engine()


def session_scope():
    from bot.store.db import session_scope as scope

    return scope(_engine())


def now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


# --- starting a report ----------------------------------------------------------------------
def start_report(text: str, intent: str, triage: dict, entities: list[dict],
                 ranking: list[dict], previous_description: str | None) -> Reply:
    categories = load_categories()
    is_button = text.startswith("/")
    description = previous_description if is_button and previous_description else text
    category = intent if is_button else triage.get("category") or intent
    urgency = triage.get("urgency", "normal") if not is_button else None
    reply = Reply(slots={"description": description, "report_category": category})
    if urgency:
        reply.slots["urgency"] = urgency
    for e in entities:
        if e.get("entity") in ("estate", "building", "unit", "room", "phone"):
            reply.slots[e["entity"]] = e.get("value")

    candidates = [r for r in ranking if r.get("name") in CATEGORY_IDS]
    unsure = (not is_button and urgency != "emergency" and len(candidates) > 1
              and float(triage.get("confidence") or 0) < UNSURE_CONFIDENCE
              and candidates[1]["confidence"] >= RUNNER_UP_CONFIDENCE)
    if unsure:
        first, second = (categories[c["name"]] for c in candidates[:2])
        reply.texts.append(f"您是想反映{first.short}还是{second.short}?")
        reply.buttons = [{"title": c.short, "payload": f"/{c.id}"} for c in (first, second)]
        reply.buttons.append({"title": "都不是,转人工", "payload": "/request_human"})
        reply.slots["report_step"] = "choose"
        return reply

    embedded = embedded_policy_answer(text) if not is_button and urgency != "emergency" else None
    if embedded:
        reply.texts.append(embedded)
    if urgency == "emergency":
        advice = safety_advice()
        reply.texts.append("【紧急】" + advice["advice"].get(triage.get("urgency_rule"),
                                                             advice["default"]))
        reply.texts.append("我们马上为您登记紧急工单,并直接通知物业公司负责人。")
    else:
        reply.texts.append(f"收到,您反映的是{categories[category].short}。我来帮您登记工单。")
    reply.slots["report_step"] = "collect"
    return reply


# A complaint that also asks about rules or responsibility: "…物业不管,这到底归谁管?"
POLICY_QUESTION = re.compile(r"归谁管|谁来管|谁负责|该谁|找谁|合法吗|合理吗|违法吗|能不能|可不可以|"
                             r"有没有规定|是否合法|凭什么|有权|应该由")


def embedded_policy_answer(text: str) -> str | None:
    """The cited answer to a policy question inside a report, when the knowledge base is sure."""
    from bot.knowledge.answer import CONFIDENT, answer

    if not POLICY_QUESTION.search(text or ""):
        return None
    try:
        result = answer(text)
    except ValueError:
        return None
    if result["confidence"] < CONFIDENT:
        return None
    return "关于您的疑问:" + result["answer"]


# --- form validation --------------------------------------------------------------------------
def validate_estate(value: str | None, attempts: float) -> Reply:
    from bot.core.estate_match import match_estate

    text = (value or "").strip()
    if not text or normalise_phone(text):
        return Reply(["请告诉我小区的名称,例如“阳光花园”。"], slots={"estate": None})
    try:
        with session_scope() as session:
            estate, score = match_estate(session, text)
            name = estate.name if estate else None
    except Exception:  # the registry being down must not stop a report
        log.exception("estate lookup failed")
        name = None
    if name:
        slots = {"estate": name, "estate_attempts": 0}
        if name not in text:
            return Reply([f"好的,是“{name}”小区。"], slots=slots)
        return Reply([], slots=slots)
    if attempts + 1 >= MAX_ESTATE_ATTEMPTS:
        return Reply([f"系统里暂未登记“{text}”,我们先按您说的小区名登记,由热线工作人员核实后派单。"],
                     slots={"estate": text, "estate_attempts": 0})
    return Reply([f"没有找到“{text}”这个小区,请再确认一下名称(可以说全称,例如“阳光花园小区”)。"],
                 slots={"estate": None, "estate_attempts": attempts + 1})


def validate_phone(value: str | None) -> Reply:
    phone = normalise_phone(value or "")
    if phone and is_mainland_mobile(phone):
        return Reply([], slots={"phone": phone})
    return Reply(["手机号码格式好像不对,请输入11位大陆手机号码,例如 13812345678。"],
                 slots={"phone": None})


# --- summary, order -------------------------------------------------------------------------
def _address(slots: dict) -> str:
    out = slots.get("estate") or "(未提供小区)"
    for key, suffix in (("building", "号楼"), ("unit", "单元"), ("room", "室")):
        if slots.get(key):
            out += f"{slots[key]}{suffix}"
    return out


def summary(slots: dict) -> Reply:
    category = load_categories().get(slots.get("report_category") or "other")
    phone = slots.get("phone")
    text = ("请确认以下信息:\n"
            f"问题类型:{category.name}\n地址:{_address(slots)}\n"
            f"联系电话:{mask_phone(phone) if phone else '未提供'}\n"
            f"问题描述:{slots.get('description') or ''}\n"
            "信息正确请回复“是”,需要修改请回复“不是”。")
    return Reply([text], buttons=[{"title": "是,提交", "payload": "/affirm"},
                                  {"title": "不是,重新填写", "payload": "/deny"}])


def _due_text(order) -> str:
    if order.urgency == "emergency" and order.due_onsite:
        return f"处理人员应在 {order.due_onsite:%m月%d日 %H:%M} 前到场"
    due = order.due_reply or order.due_resolve or order.due_respond
    return f"并在 {due:%Y年%m月%d日 %H:%M} 前给您答复" if due else "并尽快给您答复"


# Broken things are repairs; behaviour, fees and everything else are complaints; an
# emergency is a request for help.
COMPLAINT_CATEGORIES = {"service_quality", "property_fee", "parking", "corridor_clutter", "other"}


def request_kind(category: str, urgency: str) -> str:
    if urgency == "emergency":
        return "help"
    return "complaint" if category in COMPLAINT_CATEGORIES else "repair"


def open_order(slots: dict, *, conversation_id: str, channel: str) -> Reply:
    from bot.core.deadlines import compute_deadlines
    from bot.core.estate_match import match_estate
    from bot.core.routing import route
    from bot.core.routing_rules import default_rules
    from bot.store import orders

    category = slots.get("report_category") or "other"
    urgency = slots.get("urgency") or "normal"
    description = slots.get("description") or ""
    profile = os.environ.get("BOT_DEADLINE_PROFILE", DEFAULT_PROFILE)
    try:
        with session_scope() as session:
            estate, _ = match_estate(session, slots.get("estate") or "")
            repeat = estate and orders.find_open_repeat(
                session, estate_id=estate.id, building=slots.get("building"),
                category=category, window=default_rules().repeat_window, now=now())
            if repeat:
                orders.link_repeat(session, repeat, conversation_id=conversation_id,
                                   channel=channel, text=description, actor="resident")
                return Reply([f"这个问题已有工单 {repeat.number} 正在办理"
                              f"({STATUS_ZH.get(repeat.status, repeat.status)}),我们已把您的反映补充进去,"
                              "不再重复立单。您可以随时用这个工单号查询进度。"],
                             slots={"order_number": repeat.number})
            target = route(session, category=category, text=description,
                           estate_name=estate.name if estate else slots.get("estate"),
                           urgency=urgency)
            received = now()
            kind = request_kind(category, urgency)
            deadlines = compute_deadlines(profile, kind, received, urgency)
            order = orders.create_order(
                session, channel=channel, category=category, urgency=urgency,
                kind=kind, description=description,
                estate=estate, estate_text=slots.get("estate"), building=slots.get("building"),
                unit=slots.get("unit"), room=slots.get("room"), phone=slots.get("phone"),
                conversation_id=conversation_id, assignee=target.org_id,
                assignee_level=target.level, route_reason=target.reason,
                route_item_id=target.item_id, profile=profile, deadlines=deadlines,
                received=received, actor="resident")
            number = order.number
            text = (f"已为您登记工单,编号 {number}。由{target.org_name}负责处理,{_due_text(order)}。"
                    f"\n({target.reason})\n您可以随时发送工单号查询进度。")
            return Reply([text], slots={"order_number": number})
    except Exception:
        log.exception("opening an order failed")
        return Reply(["抱歉,系统暂时无法登记工单。请稍后再试,或回复“转人工”由工作人员为您登记。"])


def _with_order(text: str, order_number: str | None, missing: str, act) -> Reply:
    """Run `act(session, order)` on the order named in the text or held by the conversation."""
    from bot.store import orders

    number = _number_in(text) or order_number
    if not number:
        return Reply([missing])
    with session_scope() as session:
        order = orders.get_by_number(session, number)
        if order is None:
            return Reply([f"没有查到工单 {number},请核对工单号是否正确。"])
        return act(session, order)


def check_status(text: str, order_number: str | None) -> Reply:
    def act(session, order):
        status = STATUS_ZH.get(order.status, order.status)
        due = order.due_reply or order.due_resolve
        when = f",答复期限:{due:%Y年%m月%d日 %H:%M}" if due else ""
        return Reply([f"工单 {order.number} 当前状态:{status}{when}。"])

    return _with_order(text, order_number,
                       "请提供工单号(例如 WY-20261122-0007),我来帮您查询办理进度。", act)


def add_info(text: str, order_number: str | None) -> Reply:
    from bot.store import orders

    def act(session, order):
        orders.add_info(session, order, text, actor="resident")
        return Reply([f"已把您补充的情况记录到工单 {order.number},处理人员会看到。"])

    return _with_order(text, order_number, "请问您想反映什么问题?请描述一下具体情况。", act)


def cancel_order(text: str, order_number: str | None) -> Reply:
    from bot.store import orders
    from bot.store.statemachine import IllegalTransition

    def act(session, order):
        try:
            orders.cancel(session, order, actor="resident", reason=text)
        except IllegalTransition:
            return Reply([f"工单 {order.number} 当前{STATUS_ZH.get(order.status, order.status)},"
                          "无法撤销。"])
        return Reply([f"工单 {order.number} 已撤销。如问题再次出现,随时告诉我。"])

    return _with_order(text, order_number, "目前没有正在登记的工单,不需要取消。", act)


def request_human(conversation_id: str, channel: str, order_number: str | None, text: str) -> Reply:
    from bot.store.models import ConversationEscalation

    try:
        with session_scope() as session:
            order_id = None
            if order_number:
                from bot.store import orders

                order = orders.get_by_number(session, order_number)
                order_id = order.id if order else None
            session.add(ConversationEscalation(conversation_id=conversation_id, channel=channel,
                                               order_id=order_id, reason=text[:500],
                                               status="open"))
    except Exception:
        log.exception("recording an escalation failed")
    return Reply(["好的,已为您转接人工客服。工作人员会在这里或通过电话尽快与您联系,请稍候。"])


_SCORE_WORDS = (("非常满意", 5), ("很满意", 5), ("不满意", 1), ("不太满意", 2), ("一般", 3),
                ("满意", 5), ("差评", 1), ("好评", 5))
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def score_of(text: str) -> int | None:
    m = re.search(r"([1-5一二两三四五])\s*(分|星|颗星)", text)
    if m:
        d = m.group(1)
        return int(d) if d.isdigit() else _CN_DIGITS[d]
    for word, score in _SCORE_WORDS:
        if word in text:
            return score
    return None


def rate_service(text: str, order_number: str | None) -> Reply:
    from bot.store import orders

    score = score_of(text)

    def act(session, order):
        if score is None:
            return Reply(["请问您对处理结果打几分?1到5分,5分为非常满意。"])
        orders.rate(session, order, score, text, actor="resident")
        if order.status == "reopened":
            return Reply([f"很抱歉没让您满意。工单 {order.number} 已重新交办,处理单位会再次联系您。"])
        return Reply([f"感谢您的评价({score}分),已记录到工单 {order.number}。"])

    return _with_order(text, order_number,
                       "感谢您的评价!请附上工单号(例如 WY-20261122-0007),我帮您记录。", act)


def _number_in(text: str) -> str | None:
    m = ORDER_NUMBER.search(text or "")
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group(0))
    return f"WY-{digits[:8]}-{digits[8:]}"
