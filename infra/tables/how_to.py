"""The runbooks (docs/how-to/) a message sends the operator to, as relative links with GitHub's heading anchors.

tests/static/docs/test_how_to_links.py checks that every `docs/how-to/<page>.md#<anchor>` in the code names a
heading of that page, so a renamed heading fails the check instead of sending the reader nowhere.
"""

from __future__ import annotations

ADD_LLM_KEY = "docs/how-to/llm-keys.md#add-an-llm-key"
REMOVE_LLM_KEY = "docs/how-to/llm-keys.md#remove-an-llm-key"
ROTATE_SESSION_KEY = "docs/how-to/rotate-session-key.md#rotate-the-session-key"
RETIRE_PREVIOUS_SESSION_KEY = "docs/how-to/rotate-session-key.md#retire-the-previous-session-key"
ROTATE_GENERATED_DATABASE = "docs/how-to/rotate-database-password.md#rotate-generated-database-credentials"
SWITCH_TO_GENERATED = "docs/how-to/switch-to-generated-credentials.md#steps"
ROTATE_FINGERPRINT_KEY = "docs/how-to/rotate-tokens.md#rotate-the-database-fingerprint-key"
