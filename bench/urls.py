"""The portal's URLs plus ``/bench/baseline/``: the cheapest authenticated page there can be (the base
layout, the session and the principal, nothing else), and ``/bench/api-baseline/``: the cheapest
authenticated API call (the API's own authentication, permission and throttle, a tiny answer). Benchmarks
report times as ratios to them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as portal_urlpatterns


@login_required
def baseline(request):
    return render(request, "base.html")


class ApiBaseline(APIView):
    permissions_required = {"GET": "organizations:read"}

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline"),
               path("bench/api-baseline/", ApiBaseline.as_view(), name="bench_api_baseline"), *portal_urlpatterns]
