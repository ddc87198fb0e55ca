from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """One field template for every form in the product (templates/forms/field.html)."""

    field_template_name = "forms/field.html"
