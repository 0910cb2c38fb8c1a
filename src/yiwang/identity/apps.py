from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "yiwang.identity"
    label = "identity"
    verbose_name = "身份 Identity"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # Django writes last_login from a signal of its own; our login action records it instead, together
        # with the witness entry, so the sign-in is one witnessed state change.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
