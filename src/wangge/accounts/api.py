"""REST API of users and posts: /api/users/ (me and the people you manage), /api/posts/, and
the token login for phones (/api/auth/token/)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from wangge.areas.models import Area
from wangge.areas.selectors import areas_for_user
from wangge.core.api import (
    PARSER_CLASSES,
    ErrorSerializer,
    ReadOnlyScopedViewSet,
    ScopedModelViewSet,
    ScopedPrimaryKeyRelatedField,
)
from wangge.core.errors import DomainError
from wangge.core.filters import IdFilter

from . import services
from .choices import ROLE_CAPABILITIES, Capability, Role
from .models import Department, Post, User
from .selectors import active_posts, posts_for_user, user_scope, users_for_user


class AreaRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Area
        fields = ["id", "name", "code", "level"]
        read_only_fields = fields


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


def _capabilities(role: str) -> list[str]:
    return sorted(ROLE_CAPABILITIES.get(role, ()))


class PostSerializer(serializers.ModelSerializer):
    """A post 岗位: a user holds a role on an area (and its subtree) from one date to another."""

    user = UserRefSerializer(read_only=True)
    area = AreaRefSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "user",
            "area",
            "role",
            "role_display",
            "department",
            "department_name",
            "start_date",
            "end_date",
            "on_call",
            "capabilities",
        ]
        read_only_fields = fields

    def get_capabilities(self, obj) -> list[str]:
        return _capabilities(obj.role)


class PostCreateSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    area = ScopedPrimaryKeyRelatedField(selector=areas_for_user, model=Area)
    role = serializers.ChoiceField(choices=Role.choices)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    on_call = serializers.BooleanField(required=False, default=False)


class PostEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Last day of the post; today when left out."),
    )


class PostFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    area = IdFilter(field_name="area_id")
    user = IdFilter(field_name="user_id")
    on_call = django_filters.BooleanFilter()
    active = django_filters.BooleanFilter(method="filter_active", label=gettext_lazy("active"))

    class Meta:
        model = Post
        fields = ["role", "area", "user", "on_call", "active"]

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        active = Post.objects.active().values("pk")
        return queryset.filter(pk__in=active) if value else queryset.exclude(pk__in=active)


_errors = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    create=extend_schema(request=PostCreateSerializer, responses={201: PostSerializer, **_errors})
)
class PostViewSet(ScopedModelViewSet):
    """Posts 岗位 on the areas you manage (manage_posts). Your own posts: /api/users/me/."""

    serializer_class = PostSerializer
    create_serializer_class = PostCreateSerializer
    write_capability = Capability.MANAGE_POSTS
    filterset_class = PostFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return posts_for_user(user=self.request.user).order_by("area__path", "role", "id")

    def object_path(self, obj) -> str:
        return obj.area.path

    def perform_service_create(self, data):
        return services.post_create(
            actor=self.request.user,
            user=data["user"],
            area=data["area"],
            role=data["role"],
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            department=data.get("department"),
            on_call=data.get("on_call", False),
        )

    @extend_schema(
        summary="End a post",
        request=PostEndSerializer,
        responses={200: PostSerializer, **_errors},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        post = self.get_object()
        data = PostEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_end(
            actor=request.user, post=post, end_date=data.validated_data.get("end_date")
        )
        return Response(self.get_output_serializer(self.reload(post)).data)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name", "phone", "is_active"]
        read_only_fields = fields


class MyPostSerializer(PostSerializer):
    class Meta(PostSerializer.Meta):
        fields = [f for f in PostSerializer.Meta.fields if f != "user"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    # Often empty: a plain string, not an "email" that must be well-formed.
    email = serializers.CharField(read_only=True)
    posts = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "phone",
            "email",
            "is_superuser",
            "capabilities",
            "posts",
        ]
        read_only_fields = fields

    @extend_schema_field(MyPostSerializer(many=True))
    def get_posts(self, obj) -> list:
        posts = sorted(active_posts(obj), key=lambda p: (p.area.path, p.role))
        return MyPostSerializer(posts, many=True).data

    def get_capabilities(self, obj) -> list[str]:
        if obj.is_superuser:
            return sorted(Capability.values)
        return sorted({c for c in Capability.values if not user_scope(obj, c).is_empty})


class UserViewSet(ReadOnlyScopedViewSet):
    """Users holding posts in the areas you manage, and yourself (/me/)."""

    serializer_class = UserSerializer

    def get_queryset(self):
        return users_for_user(user=self.request.user).order_by("username")

    def object_path(self, obj) -> str:  # users are never written through this API
        return ""

    @extend_schema(
        summary="You, with your active posts and what they allow", responses=MeSerializer
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def me(self, request):
        return Response(MeSerializer(request.user).data)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class LoginThrottle(AnonRateThrottle):
    """Slow down password guessing; generous enough for a town office behind one address."""

    scope = "login"
    rate = "60/min"


class TokenView(APIView):
    """Exchange a username and password for an API token (header `Authorization: Token …`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = PARSER_CLASSES
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="Log in and get an API token",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer},
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise DomainError(_("The username or password is wrong."), code="invalid_credentials")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def register(router) -> None:
    router.register("users", UserViewSet, basename="user")
    router.register("posts", PostViewSet, basename="post")
