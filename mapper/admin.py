from django.contrib import admin

from mapper.models import Action


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["name", "destination", "action_type", "trigger", "enabled", "position"]
    list_filter = ["destination", "action_type", "enabled"]
    readonly_fields = ["created_at", "updated_at", "created_by", "updated_by"]
