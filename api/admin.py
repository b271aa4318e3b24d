"""Django admin registrations for inspecting the server's data."""

from django.contrib import admin

from api import models

admin.site.site_header = "Orion administration"
admin.site.site_title = "Orion admin"
admin.site.index_title = "Orion data"


@admin.register(models.Configuration)
class ConfigurationAdmin(admin.ModelAdmin):
    """Server configuration entries."""

    list_display = ("key", "updated")
    search_fields = ("key",)
    readonly_fields = ("id", "created", "updated")
