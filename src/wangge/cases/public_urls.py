from django.urls import path

from . import public

urlpatterns = [
    path("<str:code>", public.board, name="board"),
]
