import json
import os

from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

BACKEND = os.environ.get("APP_NAME", "django")


def named(response):
    response["X-Backend"] = BACKEND
    return response


def body(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


# The JSON API is called by scripts without a CSRF token; a form view would use {% csrf_token %} as usual.
@csrf_exempt
@require_POST
def login_view(request):
    name = body(request).get("user")
    if not isinstance(name, str) or not name:
        return named(JsonResponse({"error": "user required"}, status=400))
    # A demo sign-in: any user name. A real app would call authenticate() with a password first.
    user, _ = User.objects.get_or_create(username=name)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return named(JsonResponse({"principal": user.username}))


@csrf_exempt
@require_POST
def logout_view(request):
    logout(request)
    return named(JsonResponse({"ok": True}))


@csrf_exempt
@require_POST
def counter(request):
    request.session["counter"] = request.session.get("counter", 0) + 1
    return named(JsonResponse({"counter": request.session["counter"]}))


@csrf_exempt
@require_http_methods(["PUT"])
def draft(request):
    request.session["draft"] = body(request).get("text", "")
    return named(HttpResponse(status=204))


@require_GET
def whoami(request):
    user = request.user
    return named(JsonResponse({
        "backend": BACKEND, "pid": os.getpid(),
        "principal": user.username if user.is_authenticated else None,
        "userId": request.session.get("_auth_user_id"),
        "counter": request.session.get("counter", 0), "draft": request.session.get("draft", ""),
        "sessionKey": request.session.session_key, "expiryAge": request.session.get_expiry_age(),
    }))


def healthz(request):
    return HttpResponse("ok")
