"""Identity (一次登录、全网办理): accounts, organisations, roles, API tokens and client credentials.

Identity binds people and machines to what they act for: a market entity in the registry, or an
organisation (trading centre, regulator, sub-platform). It builds the :class:`~yiwang.kernel.actors.Actor`
that every other context receives.
"""
