"""Local fakes of the external services MAIS talks to (Stripe, Postmark, Google), each a
real HTTP server the real adapter is pointed at."""
