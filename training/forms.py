"""Forms of the training pages. They parse input only: the services validate and save."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from contracts.models import Contract
from core.forms import (
    BootstrapFormMixin,
    DateTimeInput,
    IdChoiceField,
    SaneInputMixin,
    model_choice_field,
)
from core.signing.forms import signature_field
from customers.models import Department

from .models import MAX_SCORE, TrainingPlan, TrainingSession, TrainingTopic
from .services import LECTURER_ROLES, MATERIAL_TYPES, SHEET_TYPES

LARGE = {"class": "form-control-lg"}


class PlanForm(BootstrapFormMixin, forms.Form):
    contract = forms.ModelChoiceField(label=_("Contract"), queryset=Contract.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, plan: TrainingPlan | None = None, **kwargs) -> None:
        if plan is not None:
            kwargs.setdefault("initial", {"title": plan.title, "notes": plan.notes})
        super().__init__(*args, **kwargs)
        if plan is not None:
            del self.fields["contract"]  # a plan stays with its contract (and hospital)
        else:
            contract = model_choice_field(self, "contract")
            contract.queryset = Contract.objects.for_user(user).select_related("hospital")
            # Django's documented way to label one field's options differently.
            contract.label_from_instance = lambda obj: (  # type: ignore[method-assign]
                f"{obj.number} · {obj.hospital.name}" + (f" · {obj.title}" if obj.title else "")
            )


class LecturerChoiceField(IdChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name() or obj.get_username()} ({obj.get_vendor_role_display()})"


class SessionForm(BootstrapFormMixin, forms.Form):
    topics = forms.ModelMultipleChoiceField(
        label=_("Standard topics"),
        queryset=TrainingTopic.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topic_text = forms.CharField(
        label=_("Other topic"),
        max_length=300,
        required=False,
        help_text=_("A topic of this session only, in your own words."),
    )
    content = forms.CharField(
        label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lecturer = LecturerChoiceField(
        label=_("Lecturer"),
        queryset=User.objects.none(),
        help_text=_("The service manager or a service engineer."),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=DateTimeInput,
        help_text=_("In the hospital's time zone."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=24 * 60, initial=120
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    audience_departments = forms.ModelMultipleChoiceField(
        label=_("Audience"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The departments whose staff are expected."),
    )

    def __init__(
        self, *args, plan: TrainingPlan, session: TrainingSession | None = None, **kwargs
    ) -> None:
        if session is not None:
            kwargs.setdefault(
                "initial",
                {
                    "topics": list(session.topics.all()),
                    "topic_text": session.topic_text,
                    "content": session.content,
                    "lecturer": session.lecturer,
                    "starts_at": session.starts_at,
                    "duration_minutes": int(session.duration.total_seconds() // 60),
                    "place": session.place,
                    "audience_departments": list(session.audience_departments.all()),
                },
            )
        super().__init__(*args, **kwargs)
        # Inactive topics are offered no more, but a session keeps the ones it has.
        shown = Q(active=True)
        if session is not None:
            shown |= Q(pk__in=session.topics.values("pk"))
        model_choice_field(self, "topics").queryset = TrainingTopic.objects.filter(shown).order_by(
            "sort_order", "pk"
        )
        model_choice_field(self, "lecturer").queryset = User.objects.filter(
            is_active=True, vendor_role__in=LECTURER_ROLES
        ).order_by("vendor_role", "last_name", "first_name", "username")
        model_choice_field(self, "audience_departments").queryset = Department.objects.filter(
            hospital_id=plan.hospital_id
        )

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["duration"] = timedelta(minutes=data.pop("duration_minutes"))
        return data


class DepartmentChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.name


class AttendanceForm(BootstrapFormMixin, forms.Form):
    """The sign-in page: large controls for a tablet or a phone at 390 px."""

    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=100,
        widget=forms.TextInput(attrs={**LARGE, "autocomplete": "off"}),
    )
    department = DepartmentChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("— choose —"),
        widget=forms.Select(attrs={"class": "form-select-lg"}),
    )
    department_text = forms.CharField(
        label=_("Other department"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=LARGE),
        help_text=_("When the department is not in the list."),
    )
    role = forms.CharField(
        label=_("Role or title"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=LARGE),
    )
    # signature_pad's toDataURL(): checked again (and decoded) by the service.
    signature = signature_field()

    def __init__(self, *args, session: TrainingSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "department").queryset = Department.objects.filter(
            hospital_id=session.hospital_id
        ).order_by("name")


class ScoreForm(SaneInputMixin, forms.Form):
    score = forms.IntegerField(
        label=_("Assessment score"), required=False, min_value=0, max_value=MAX_SCORE
    )


class MaterialForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("Slides, manuals, videos: %(types)s.") % {
            "types": ", ".join(MATERIAL_TYPES)
        }


class SheetForm(BootstrapFormMixin, forms.Form):
    sign_in_sheet = forms.FileField(label=_("Paper sign-in sheet"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sign_in_sheet"].help_text = gettext("A scan or a photo: %(types)s.") % {
            "types": ", ".join(SHEET_TYPES)
        }
