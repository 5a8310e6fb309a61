"""Notices and meetings (通知公告 / 会议通知): audiences, receipts, RSVP, check-in, reminders."""
