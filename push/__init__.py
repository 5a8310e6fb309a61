"""Push to phones that are asleep: channels per device, the rule table, the outbox and providers."""
