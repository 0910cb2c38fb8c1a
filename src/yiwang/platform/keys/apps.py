from django.apps import AppConfig


class PlatformKeysConfig(AppConfig):
    name = "yiwang.platform.keys"
    label = "platform_keys"
    verbose_name = "平台密钥 Platform keys"

    def ready(self) -> None:
        from yiwang.platform.keys.service import ensure_platform_key
        from yiwang.platform.reference import register_loader

        register_loader("platform_keys", ensure_platform_key)
