from django import forms
from django.utils.translation import gettext_lazy as _


class NeedFulfilForm(forms.Form):
    result = forms.CharField(
        label=_("What was done"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
