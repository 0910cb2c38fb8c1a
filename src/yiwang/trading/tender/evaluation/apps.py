from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "yiwang.trading.tender.evaluation"
    label = "evaluation"
    verbose_name = "评标 Bid evaluation"
