"""Rasa custom actions: thin adapters from the tracker to bot/ (see bot/chat/replies.py)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.chat import replies


class ActionStartReport(Action):
    def name(self) -> Text:
        return "action_start_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        for text in replies.report_acknowledgement(message.get("text") or "",
                                                   message.get("triage") or {},
                                                   message.get("entities") or []):
            dispatcher.utter_message(text=text)
        return []


class ActionAnswerPolicy(Action):
    def name(self) -> Text:
        return "action_answer_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=replies.policy_answer_text(
            (tracker.latest_message or {}).get("text") or ""))
        return []


class ActionCheckStatus(Action):
    def name(self) -> Text:
        return "action_check_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=replies.order_status_text(
            (tracker.latest_message or {}).get("text") or ""))
        return []
