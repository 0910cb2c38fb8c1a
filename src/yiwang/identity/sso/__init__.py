"""统一身份认证（OpenID Connect）: The hub as an OpenID Connect provider for sub-platforms (single sign-on)."""
