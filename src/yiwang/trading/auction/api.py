from ninja import Router

router = Router(tags=["auction 网络竞价"])
