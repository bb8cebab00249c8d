"""Background jobs started from the dashboard: the runner, retraining and crawling."""
