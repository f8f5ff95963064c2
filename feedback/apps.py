from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # An attachment's file is deleted with its row, however the row goes.
        from feedback.services import attachments

        attachments.connect_signals()
