"""The portal's URLs plus ``/bench/baseline/``: the cheapest authenticated page there can be (the base
layout, the session and the principal, nothing else). Benchmarks report page times as ratios to it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from config.urls import urlpatterns as portal_urlpatterns


@login_required
def baseline(request):
    return render(request, "base.html")


urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline"), *portal_urlpatterns]
