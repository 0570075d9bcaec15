"""The rasa_sdk action server package: thin adapters to bot/."""
from bot.core.phone import install_log_masking
from bot.knowledge.kb import default_kb

install_log_masking()
# Load (and train the retrieval classifier of) the knowledge base at start-up, so the first
# resident who asks a question or opens an order does not wait for it.
default_kb()
