"""Messaging: conversations, messages, receipts (已读/未读), recall (撤回), urging (加急)."""
