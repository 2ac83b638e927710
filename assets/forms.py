"""Forms of the installed-base pages. They only parse input and offer the viewer's own
choices; every rule (UDI, dates, duplicates, R-5.1) is the services' job, whose errors
``core.forms.add_service_errors`` puts next to these fields."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import Field, Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.forms import (
    BootstrapFormMixin,
    DateInput,
    DateTimeInput,
    IdChoiceField,
    id_from,
    model_choice_field,
)
from core.uploads import accept_attribute
from customers.models import Contact, Department, Hospital

from .models import (
    ComponentFate,
    Device,
    EmergencyProcedure,
    ProductModel,
)


def _field(model: type[Model], name: str, **kwargs) -> forms.Field:
    """The form field Django derives from the model field (label, help text, length)."""
    # Only concrete columns are asked for here, and none of them is an AutoField (no form field).
    model_field = cast(Field, model._meta.get_field(name))
    return cast(forms.Field, model_field.formfield(**kwargs))


def _bound_value(form: forms.BaseForm, name: str):
    """The raw value of ``name`` as submitted, else as initially given."""
    if form.is_bound:
        return form.data.get(form.add_prefix(name)) or None
    value = form.initial.get(name)
    return getattr(value, "pk", value)


def show_options(
    field: forms.ModelChoiceField, queryset: QuerySet, *, group_by: str | None = None
) -> None:
    """Offer only ``queryset`` in the field's ``<select>`` (grouped by ``group_by`` when
    given) while the field still accepts anything in its own, wider queryset: a wrong pick
    then gets the service's explanation ("belongs to another hospital"), not a bare
    "invalid choice"."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    if group_by is None:
        field.widget.choices = empty + [
            (obj.pk, field.label_from_instance(obj)) for obj in queryset
        ]
        return
    groups: dict[str, list] = {}
    for obj in queryset:
        groups.setdefault(str(getattr(obj, group_by)), []).append(
            (obj.pk, field.label_from_instance(obj))
        )
    field.widget.choices = empty + list(groups.items())


def _follow(field: forms.Field, kind: str, source: str) -> None:
    """htmx: reload this ``<select>``'s options when the ``source`` select changes. A
    choice made while the reload was on its way (a quick hand on a slow network) survives
    the swap when it is still an option (``data-keep-picked``, static/js/app.js)."""
    field.widget.attrs.update(
        {
            "hx-get": f"{reverse('assets:options')}?kind={kind}",
            "hx-trigger": f"change from:#id_{source}",
            "hx-include": f"#id_{source}",
            "data-keep-picked": "",
            "hx-target": "this",
            "hx-swap": "innerHTML",
        }
    )


class DepartmentChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.name


# --- product models -------------------------------------------------------------------
class ProductModelForm(BootstrapFormMixin, forms.Form):
    manufacturer = _field(ProductModel, "manufacturer")
    name = _field(ProductModel, "name")
    gtin = _field(
        ProductModel,
        "gtin",
        help_text=_("14 digits, as in (01) of the UDI; lets a scanned UDI find its model."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    category = _field(ProductModel, "category")
    risk_class = _field(ProductModel, "risk_class")
    main_components = forms.CharField(
        label=_("Main components"),
        required=False,
        help_text=_("One name per line, e.g. X-ray tube, detector, main board."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    @staticmethod
    def initial_for(product_model: ProductModel) -> dict:
        return {
            "manufacturer": product_model.manufacturer,
            "name": product_model.name,
            "gtin": product_model.gtin,
            "category": product_model.category,
            "risk_class": product_model.risk_class,
            "main_components": "\n".join(product_model.main_components),
        }


# --- devices --------------------------------------------------------------------------
DATE_WIDGET = {"widget": DateInput}


class DeviceEditForm(BootstrapFormMixin, forms.Form):
    """Changes to a registered device. Its model and hospital stay as registered."""

    udi = _field(
        Device,
        "udi",
        label=_("UDI"),
        help_text=_("Scan or type the UDI, e.g. (01)06971234567895(21)SN123."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                # A barcode scanner ends the UDI with Enter: move on instead of submitting
                # half a form (static/js/app.js).
                "data-enter-moves-to": "id_product_model id_serial_number",
            }
        ),
    )
    serial_number = _field(
        Device,
        "serial_number",
        required=False,
        help_text=_("Optional when the UDI carries the serial number (21)."),
    )
    asset_tag = _field(Device, "asset_tag")
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())
    location = _field(Device, "location")
    installed_on = _field(Device, "installed_on", **DATE_WIDGET)
    acceptance_certificate_no = _field(Device, "acceptance_certificate_no")
    accepted_on = _field(Device, "accepted_on", **DATE_WIDGET)
    live_on = _field(Device, "live_on", **DATE_WIDGET)
    status = _field(Device, "status")
    responsible_contact = forms.ModelChoiceField(
        label=_("Responsible person"),
        required=False,
        queryset=Contact.objects.none(),
        help_text=_("Leave empty to use the department's responsible person."),
    )
    notes = _field(Device, "notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, device: Device | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        departments = Department.objects.for_user(user).select_related("hospital")
        contacts = Contact.objects.for_user(user).select_related("hospital")
        department = model_choice_field(self, "department")
        contact = model_choice_field(self, "responsible_contact")
        department.queryset = departments
        contact.queryset = contacts
        hospital_id = device.hospital_id if device else self._chosen_hospital_id()
        if hospital_id:
            show_options(department, departments.filter(hospital_id=hospital_id))
            show_options(contact, contacts.filter(hospital_id=hospital_id))
        else:
            show_options(department, departments, group_by="hospital")
            show_options(contact, contacts, group_by="hospital")

    def _chosen_hospital_id(self) -> int | None:
        return None

    @staticmethod
    def initial_for(device: Device) -> dict:
        return {name: getattr(device, name) for name in DeviceEditForm.base_fields}


class DeviceForm(DeviceEditForm):
    """Registering a device: the UDI comes first, so a scan fills in model and serial."""

    field_order = [
        "udi",
        "product_model",
        "serial_number",
        "asset_tag",
        "hospital",
        "department",
        "location",
        "installed_on",
        "acceptance_certificate_no",
        "accepted_on",
        "live_on",
        "responsible_contact",
        "notes",
    ]
    product_model = forms.ModelChoiceField(
        label=_("Product model"),
        required=False,
        queryset=ProductModel.objects.none(),
        help_text=_("Optional when the UDI's device identifier (GTIN) belongs to a product model."),
    )
    hospital = forms.ModelChoiceField(label=_("Hospital"), queryset=Hospital.objects.none())
    live_on = _field(
        Device,
        "live_on",
        help_text=_("Leave empty until the department has received its emergency procedure."),
        **DATE_WIDGET,
    )
    # A new device is installed; it goes into service by going live. None is Django's way to
    # drop a field declared by the base form.
    status = None  # type: ignore[assignment]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["udi"].widget.attrs["autofocus"] = True
        model_choice_field(self, "product_model").queryset = ProductModel.objects.for_user(user)
        model_choice_field(self, "hospital").queryset = Hospital.objects.for_user(user)
        _follow(self.fields["department"], "departments", "hospital")
        _follow(self.fields["responsible_contact"], "contacts", "hospital")

    def _chosen_hospital_id(self) -> int | None:
        return id_from(_bound_value(self, "hospital"))


class GoLiveForm(BootstrapFormMixin, forms.Form):
    live_on = _field(Device, "live_on", required=True, **DATE_WIDGET)


class OutOfUseClearForm(BootstrapFormMixin, forms.Form):
    """The vendor's engineer or manager puts a device back in use, saying why."""

    note = forms.CharField(
        label=_("Why the device may be used again"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write why the device may be used again.")},
    )


# --- main components ------------------------------------------------------------------
class ComponentAddForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Component"),
        max_length=120,
        widget=forms.TextInput(attrs={"list": "component-names", "autocomplete": "off"}),
    )
    serial_number = forms.CharField(label=_("Serial number"), max_length=100)
    installed_on = forms.DateField(
        label=_("Installed on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for the device's installation date."),
    )


class ComponentReplaceForm(BootstrapFormMixin, forms.Form):
    new_serial_number = forms.CharField(
        label=_("Serial number of the new component"), max_length=100
    )
    replaced_on = forms.DateField(label=_("Replacement date"), widget=DateInput)
    removal_fate = forms.ChoiceField(
        label=_("The removed component is"), choices=ComponentFate.choices
    )


# --- emergency procedures (R-5.1) -----------------------------------------------------
class DeviceChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Device) -> str:
        tag = f" · {obj.asset_tag}" if obj.asset_tag else ""
        return f"{obj.product_model} · {obj.serial_number}{tag}"


class ReceiptForm(BootstrapFormMixin, forms.Form):
    received_by = _field(
        EmergencyProcedure,
        "received_by",
        required=True,
        help_text=_("The name of the department's person who received the procedure."),
    )
    received_at = _field(EmergencyProcedure, "received_at", required=True, widget=DateTimeInput)


class ProcedureForm(BootstrapFormMixin, forms.Form):
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.none())
    device = DeviceChoiceField(
        label=_("Device"),
        required=False,
        queryset=Device.objects.none(),
        help_text=_("For one device; leave empty and choose the product model for all of them."),
    )
    product_model = forms.ModelChoiceField(
        label=_("Product model"),
        required=False,
        queryset=ProductModel.objects.none(),
        help_text=_("Applies to every device of this model in the department."),
    )
    title = _field(EmergencyProcedure, "title")
    text = _field(EmergencyProcedure, "text", widget=forms.Textarea(attrs={"rows": 8}))
    document = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_("Upload the signed or printed procedure (PDF, image, Word) instead of text."),
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute()}),
    )
    received_by = _field(
        EmergencyProcedure,
        "received_by",
        help_text=_("Fill in when the department has already received it."),
    )
    received_at = _field(EmergencyProcedure, "received_at", widget=DateTimeInput)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.for_user(user).select_related("hospital")
        devices = Device.objects.for_user(user).select_related("product_model")
        department = model_choice_field(self, "department")
        device = model_choice_field(self, "device")
        department.queryset = departments
        device.queryset = devices
        model_choice_field(self, "product_model").queryset = ProductModel.objects.for_user(user)
        show_options(department, departments, group_by="hospital")
        department_id = id_from(_bound_value(self, "department"))
        if department_id is not None:
            show_options(device, devices.filter(department_id=department_id))
        else:
            show_options(device, devices.none())
        _follow(self.fields["device"], "devices", "department")
