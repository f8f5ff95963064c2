from django.apps import AppConfig


class PaperConfig(AppConfig):
    name = "paper"
    verbose_name = "Paper forms"
    default_auto_field = "django.db.models.BigAutoField"
