from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "yiwang.supervision.credit"
    label = "credit"
    verbose_name = "信用（信用记录、红黑名单、信用修复）Credit"
