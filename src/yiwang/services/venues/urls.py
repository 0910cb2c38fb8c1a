from django.urls import path

from yiwang.services.venues import views

app_name = "venues"
urlpatterns = [
    path("", views.index, name="index"),
    path("today/", views.today, name="today"),
    path("calendar/", views.calendar, name="calendar"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:site_id>/", views.site, name="site"),
    path("rooms/<int:room_id>/", views.room, name="room"),
    path("rooms/<int:room_id>/seats/", views.room_seats, name="room_seats"),
    path("rooms/<int:room_id>/seats/<int:seat_id>/", views.seat_toggle, name="seat_toggle"),
    path("rooms/<int:room_id>/maintenance/", views.room_maintenance, name="room_maintenance"),
    path(
        "rooms/<int:room_id>/maintenance/<int:maintenance_id>/cancel/",
        views.maintenance_cancel,
        name="maintenance_cancel",
    ),
    path("bookings/", views.bookings, name="bookings"),
    path("bookings/new/", views.booking_new, name="booking_new"),
    path("bookings/check/", views.booking_check, name="booking_check"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/approve/", views.booking_approve, name="booking_approve"),
    path("bookings/<int:booking_id>/reject/", views.booking_reject, name="booking_reject"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:booking_id>/complete/", views.booking_complete, name="booking_complete"),
    path("bookings/<int:booking_id>/change/", views.booking_change, name="booking_change"),
    path("bookings/<int:booking_id>/seating/", views.booking_seating, name="booking_seating"),
    path("bookings/<int:booking_id>/desk/", views.desk, name="desk"),
    path("bookings/<int:booking_id>/access/", views.access, name="access"),
    path("approvals/", views.approvals, name="approvals"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/<int:session_id>/", views.session, name="session"),
    path("sessions/<int:session_id>/seating/", views.session_seating, name="session_seating"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("check-in/", views.my_check_in, name="my_check_in"),
]
