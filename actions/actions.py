"""Rasa custom actions: thin adapters from the tracker to bot/chat/conversation.py."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chat import conversation
from bot.chat.replies import policy_answer_text

REPORT_SLOTS = ("report_category", "report_step", "urgency", "description", "estate", "building",
                "unit", "room", "phone", "estate_attempts")


def _say(dispatcher: CollectingDispatcher, reply: conversation.Reply) -> List[Dict[Text, Any]]:
    for n, text in enumerate(reply.texts):
        last = n == len(reply.texts) - 1
        dispatcher.utter_message(text=text, buttons=reply.buttons if last else None)
    if reply.buttons and not reply.texts:
        dispatcher.utter_message(buttons=reply.buttons)
    return [SlotSet(k, v) for k, v in reply.slots.items()]


# Rasa input channel names -> the work-order table's channels.
CHANNELS = {"rest": "web", "socketio": "web", "telegram": "telegram", "cmdline": "cli"}


def _channel(tracker: Tracker) -> str:
    return CHANNELS.get(tracker.get_latest_input_channel() or "", "rasa")


def _slots(tracker: Tracker) -> dict:
    return {k: tracker.get_slot(k) for k in REPORT_SLOTS}


def _cleared_report() -> List[Dict[Text, Any]]:
    """A finished or abandoned report; the estate attempts count outlives it."""
    return [SlotSet(k, None) for k in REPORT_SLOTS if k != "estate_attempts"]


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


class ActionStartReport(Action):
    def name(self) -> Text:
        return "action_start_report"

    def run(self, dispatcher, tracker, domain):
        msg = tracker.latest_message or {}
        return _say(dispatcher, conversation.start_report(
            msg.get("text") or "", (msg.get("intent") or {}).get("name") or "other",
            msg.get("triage") or {}, msg.get("entities") or [],
            msg.get("intent_ranking") or [], tracker.get_slot("description")))


class _Prompt(Action):
    """A form question (an action rather than a response, so it can grow conditions)."""

    action_name = ""
    text = ""

    def name(self) -> Text:
        return self.action_name

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=self.text)
        return []


class ActionAskEstate(_Prompt):
    action_name = "action_ask_estate"
    text = "请问是哪个小区?可以连同楼号、单元、房号一起告诉我(例如:阳光花园3号楼2单元501)。"


class ActionAskPhone(_Prompt):
    action_name = "action_ask_phone"
    text = "请留一个手机号码,方便处理人员与您联系(号码只用于本次工单,对外显示会做脱敏处理)。"


class ValidateReportForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_report_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        # An emergency does not wait for a phone number: the address is enough to dispatch.
        if tracker.get_slot("urgency") == "emergency":
            return ["estate"]
        return domain_slots

    # Validators return slot values (a dict), not events.
    def validate_estate(self, value, dispatcher, tracker, domain):
        reply = conversation.validate_estate(value, float(tracker.get_slot("estate_attempts") or 0))
        _say(dispatcher, conversation.Reply(reply.texts, reply.buttons))
        return reply.slots

    def validate_phone(self, value, dispatcher, tracker, domain):
        reply = conversation.validate_phone(value)
        _say(dispatcher, conversation.Reply(reply.texts, reply.buttons))
        return reply.slots


class ActionConfirmReport(Action):
    def name(self) -> Text:
        return "action_confirm_report"

    def run(self, dispatcher, tracker, domain):
        return _say(dispatcher, conversation.summary(_slots(tracker)))


class ActionOpenOrder(Action):
    def name(self) -> Text:
        return "action_open_order"

    def run(self, dispatcher, tracker, domain):
        events = _say(dispatcher, conversation.open_order(
            _slots(tracker), conversation_id=tracker.sender_id, channel=_channel(tracker)))
        return events + _cleared_report()


class ActionResetReport(Action):
    def name(self) -> Text:
        return "action_reset_report"

    def run(self, dispatcher, tracker, domain):
        return _cleared_report()


class _TextAction(Action):
    """An action that answers from the latest text and the conversation's order number."""

    action_name = ""
    handler = None

    def name(self) -> Text:
        return self.action_name

    def run(self, dispatcher, tracker, domain):
        return _say(dispatcher, type(self).handler(_text(tracker), tracker.get_slot("order_number")))


class ActionCheckStatus(_TextAction):
    action_name = "action_check_status"
    handler = staticmethod(conversation.check_status)


class ActionAddInfo(_TextAction):
    action_name = "action_add_info"
    handler = staticmethod(conversation.add_info)


class ActionCancelOrder(_TextAction):
    action_name = "action_cancel_order"
    handler = staticmethod(conversation.cancel_order)


class ActionRateService(_TextAction):
    action_name = "action_rate_service"
    handler = staticmethod(conversation.rate_service)


class ActionRequestHuman(Action):
    def name(self) -> Text:
        return "action_request_human"

    def run(self, dispatcher, tracker, domain):
        return _say(dispatcher, conversation.request_human(
            tracker.sender_id, _channel(tracker), tracker.get_slot("order_number"), _text(tracker)))


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=policy_answer_text(_text(tracker)))
        return []
