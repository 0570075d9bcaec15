"""The rasa_sdk action server package: thin adapters to bot/."""
from bot.core.phone import install_log_masking

install_log_masking()
