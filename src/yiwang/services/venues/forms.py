"""Forms of the venues pages. They only read the input (times as Beijing time); the actions check it, so the
pages show the same error codes as the API, each next to its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.kernel.errors import YiwangError
from yiwang.platform.web.forms import add_action_error
from yiwang.services.venues.domain.rules import (
    CHECK_IN_METHOD_LABELS_ZH,
    PERSON_KIND_LABELS_ZH,
    PURPOSE_LABELS_ZH,
    ROOM_KIND_LABELS_ZH,
)

DATETIME = {"type": "datetime-local"}


def _when(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"), **kwargs
    )


class BootstrapForm(forms.Form):
    aliases: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_action_error(self, exc: YiwangError) -> None:
        field = str(exc.details.get("field") or "").split(".")[0].split("[")[0]
        field = self.aliases.get(field, field)
        if field and field in self.fields:
            exc.details["field"] = field
        else:
            exc.details.pop("field", None)
        add_action_error(self, exc)


class SiteForm(BootstrapForm):
    organisation_id = forms.TypedChoiceField(label=_("所属交易中心"), coerce=int, choices=[])
    name = forms.CharField(label=_("场所名称"), max_length=200)
    region_code = forms.CharField(label=_("所在区域（行政区划代码）"), max_length=6)
    address = forms.CharField(label=_("地址"), max_length=300)
    phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organisation_id"].choices = organisations


class RoomForm(BootstrapForm):
    code = forms.CharField(label=_("房间编号"), max_length=20, help_text=_("门牌编号，同一场所内不重复"))
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=[(k.value, _(v)) for k, v in ROOM_KIND_LABELS_ZH.items()])
    capacity = forms.IntegerField(label=_("容纳人数"), min_value=1, max_value=2000)
    isolated = forms.BooleanField(
        label=_("隔离区（门禁、存放通讯设备、进出登记）"),
        required=False,
        help_text=_("评标室、远程评标席位区默认是隔离区"),
    )
    recording = forms.BooleanField(label=_("全程录音录像"), required=False)
    video_link = forms.BooleanField(label=_("远程音视频连线"), required=False)
    floor = forms.CharField(label=_("楼层/位置"), max_length=40, required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class SeatsForm(BootstrapForm):
    lines = forms.CharField(
        label=_("席位（每行：编号,摄像头编号）"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "E01,cam-E01\nE02,cam-E02"}),
    )
    aliases = {"numbers": "lines", "seats": "lines", "camera_id": "lines"}

    def seats(self) -> list[dict[str, str]]:
        out = []
        for line in self.cleaned_data["lines"].splitlines():
            if line.strip():
                number, _, camera = line.replace("，", ",").partition(",")
                out.append({"number": number.strip(), "camera_id": camera.strip()})
        return out


class MaintenanceForm(BootstrapForm):
    start = _when(_("开始时间（北京时间）"))
    end = _when(_("结束时间（北京时间）"))
    reason = forms.CharField(label=_("原因"), max_length=300)


class BookingForm(BootstrapForm):
    room_id = forms.TypedChoiceField(label=_("房间"), coerce=int, choices=[])
    purpose = forms.ChoiceField(label=_("用途"), choices=[(k.value, _(v)) for k, v in PURPOSE_LABELS_ZH.items()])
    start = _when(_("开始时间（北京时间）"))
    end = _when(_("结束时间（北京时间）"))
    seats = forms.IntegerField(label=_("席位/座位数"), min_value=0, max_value=2000, initial=0)
    owner_ref = forms.CharField(label=_("业务对象引用"), max_length=120, help_text=_("如 tender.section:12（标段）"))
    title = forms.CharField(label=_("项目名称"), max_length=200, required=False)
    public_title = forms.CharField(
        label=_("公开显示的项目名称"), max_length=200, required=False, help_text=_("填写后在“今日开标”公开显示")
    )

    def __init__(self, *args: Any, rooms: list[tuple[int, str]], check_url: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["room_id"].choices = rooms
        live = {"hx-post": check_url, "hx-trigger": "change", "hx-target": "#conflict-feedback"}
        for name in ("room_id", "purpose", "start", "end", "seats"):
            self.fields[name].widget.attrs.update({**live, "hx-include": "closest form"})


class ChangeForm(BootstrapForm):
    start = _when(_("开始时间（北京时间）"))
    end = _when(_("结束时间（北京时间）"))
    seats = forms.IntegerField(label=_("席位/座位数"), min_value=0, max_value=2000)
    reason = forms.CharField(label=_("变更原因"), max_length=300)


class ReasonForm(BootstrapForm):
    reason = forms.CharField(label=_("原因"), max_length=300)


class SessionForm(BootstrapForm):
    owner_ref = forms.CharField(label=_("业务对象引用"), max_length=120, help_text=_("如 tender.section:12"))
    title = forms.CharField(label=_("项目名称"), max_length=200, required=False)
    start = _when(_("评标开始（北京时间）"))
    end = _when(_("评标结束（北京时间）"))
    main_room = forms.TypedChoiceField(label=_("主场房间（本中心）"), coerce=int, choices=[])
    main_seats = forms.IntegerField(label=_("主场席位数"), min_value=1, max_value=2000)
    secondary_rooms = forms.TypedMultipleChoiceField(
        label=_("副场房间（其他交易中心）"), coerce=int, choices=[], widget=forms.SelectMultiple(attrs={"size": 5})
    )
    secondary_seats = forms.IntegerField(label=_("每个副场的席位数"), min_value=1, max_value=2000)
    aliases = {"main": "main_room", "secondaries": "secondary_rooms", "room_id": "main_room"}

    def __init__(self, *args: Any, main_rooms: list[tuple[int, str]], rooms: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["main_room"].choices = main_rooms
        self.fields["secondary_rooms"].choices = rooms
        self.fields["secondary_rooms"].widget.attrs["class"] = "form-select"


class CommitteeForm(BootstrapForm):
    lines = forms.CharField(
        label=_("评标委员会（每行：专家引用,所在地区代码,姓名[,账户id]）"),
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": _("experts.seat:1,310112,王工\nexperts.seat:2,320505,李工,1024")}
        ),
    )
    aliases = {"committee": "lines"}

    def committee(self) -> list[dict[str, Any]]:
        out = []
        for line in self.cleaned_data["lines"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            parts += [""] * (4 - len(parts))
            out.append(
                {"expert_ref": parts[0], "home_region": parts[1], "name": parts[2], "account_id": parts[3] or None}
            )
        return out


class CheckInForm(BootstrapForm):
    expert_ref = forms.CharField(label=_("专家引用"), max_length=100, widget=forms.HiddenInput)
    method = forms.ChoiceField(
        label=_("方式"),
        choices=[(k.value, _(v)) for k, v in CHECK_IN_METHOD_LABELS_ZH.items() if k.value != "self_confirm"],
    )


class SelfCheckInForm(BootstrapForm):
    booking_id = forms.IntegerField(widget=forms.HiddenInput)
    expert_ref = forms.CharField(max_length=100, widget=forms.HiddenInput)
    code = forms.CharField(label=_("现场签到码"), max_length=8, help_text=_("签到台显示的 6 位数字"))


class AccessForm(BootstrapForm):
    person_ref = forms.CharField(label=_("人员引用/证件尾号"), max_length=100)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    person_kind = forms.ChoiceField(
        label=_("人员类别"), choices=[(k.value, _(v)) for k, v in PERSON_KIND_LABELS_ZH.items()]
    )
    direction = forms.ChoiceField(label=_("进出"), choices=[("enter", _("进入")), ("leave", _("离开"))])
    devices_deposited = forms.BooleanField(label=_("已存放手机等通讯设备"), required=False)
    method = forms.ChoiceField(
        label=_("核验方式"),
        choices=[("manual", _("人工登记")), ("card", _("刷卡")), ("face", _("人脸识别"))],
        initial="manual",
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)
