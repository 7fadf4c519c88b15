"""Delivery: readers, their personal briefs, and sending them by email, chat and Atom, exactly once.

Entry points: the readers (`add_reader`, `update_reader`, `list_readers`, `pause_reader`, `resume_reader`,
`remove_reader`, `import_readers`), `personal_brief`, `send` (what is due, or a date), `next_brief` and
`send_test` (previews), the Atom feeds (`public_feed`, `reader_feed`) and `record_vote`. The web routes for
one-click unsubscribe and the feeds are in `pipeline.delivery.web` (imported by app.py only).
"""

from .atom import public_feed, reader_feed
from .feedback import record_vote
from .import_csv import import_readers
from .personal import PersonalBrief, personal_brief
from .readers import Reader, add_reader, list_readers, pause_reader, remove_reader, resume_reader, update_reader
from .send import SendReport, next_brief, send, send_test

__all__ = [
    "PersonalBrief", "Reader", "SendReport", "add_reader", "import_readers", "list_readers", "next_brief",
    "pause_reader", "personal_brief", "public_feed", "reader_feed", "record_vote", "remove_reader", "resume_reader",
    "send", "send_test", "update_reader",
]
