from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "yiwang.services.finance"
    label = "finance"
    verbose_name = "金融服务 Finance"
