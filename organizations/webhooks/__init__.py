"""Events and signed webhooks for API clients: recording events, delivering them to the address policy's
allowed URLs, the delivery log and its pages."""
