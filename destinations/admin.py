from django.contrib import admin

from destinations.models import Destination


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    # The encrypted key is not editable and never displayed; only its last four characters are.
    list_display = ["name", "type", "masked_api_key", "company_name", "default_region", "test_mode", "enabled"]
    readonly_fields = ["masked_api_key", "company_name", "verified_at", "created_at", "updated_at"]
    list_filter = ["type", "test_mode", "enabled"]
