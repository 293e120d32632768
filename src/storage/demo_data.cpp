#include "storage/demo_data.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <tuple>

namespace rihla::storage {
namespace {

// ---------------------------------------------------------------------------------------------
// Airports (real IATA codes), sorted by code.
// ---------------------------------------------------------------------------------------------
constexpr std::array<DemoAirport, 49> kAirports{{
    {"ADD", "Addis Ababa Bole International Airport", "Addis Ababa", "ET"},
    {"AHB", "Abha International Airport", "Abha", "SA"},
    {"AJF", "Al-Jouf Airport", "Sakaka", "SA"},
    {"AMM", "Queen Alia International Airport", "Amman", "JO"},
    {"AMS", "Amsterdam Airport Schiphol", "Amsterdam", "NL"},
    {"AQI", "Al Qaisumah/Hafr Al Batin Airport", "Hafar Al-Batin", "SA"},
    {"AUH", "Zayed International Airport", "Abu Dhabi", "AE"},
    {"BAH", "Bahrain International Airport", "Manama", "BH"},
    {"BEY", "Beirut-Rafic Hariri International Airport", "Beirut", "LB"},
    {"BHH", "Bisha Domestic Airport", "Bisha", "SA"},
    {"BOM", "Chhatrapati Shivaji Maharaj International Airport", "Mumbai", "IN"},
    {"CAI", "Cairo International Airport", "Cairo", "EG"},
    {"CDG", "Paris Charles de Gaulle Airport", "Paris", "FR"},
    {"CGK", "Soekarno-Hatta International Airport", "Jakarta", "ID"},
    {"CMB", "Bandaranaike International Airport", "Colombo", "LK"},
    {"DAC", "Hazrat Shahjalal International Airport", "Dhaka", "BD"},
    {"DEL", "Indira Gandhi International Airport", "Delhi", "IN"},
    {"DMM", "King Fahd International Airport", "Dammam", "SA"},
    {"DOH", "Hamad International Airport", "Doha", "QA"},
    {"DXB", "Dubai International Airport", "Dubai", "AE"},
    {"EAM", "Najran Domestic Airport", "Najran", "SA"},
    {"ELQ", "Prince Naif bin Abdulaziz International Airport", "Buraidah", "SA"},
    {"FCO", "Leonardo da Vinci-Fiumicino Airport", "Rome", "IT"},
    {"FRA", "Frankfurt Airport", "Frankfurt", "DE"},
    {"GIZ", "King Abdullah bin Abdulaziz Airport", "Jazan", "SA"},
    {"HAS", "Ha'il International Airport", "Ha'il", "SA"},
    {"HOF", "Al-Ahsa International Airport", "Hofuf", "SA"},
    {"ISB", "Islamabad International Airport", "Islamabad", "PK"},
    {"IST", "Istanbul Airport", "Istanbul", "TR"},
    {"JED", "King Abdulaziz International Airport", "Jeddah", "SA"},
    {"JFK", "John F. Kennedy International Airport", "New York", "US"},
    {"KHI", "Jinnah International Airport", "Karachi", "PK"},
    {"KUL", "Kuala Lumpur International Airport", "Kuala Lumpur", "MY"},
    {"KWI", "Kuwait International Airport", "Kuwait City", "KW"},
    {"LHE", "Allama Iqbal International Airport", "Lahore", "PK"},
    {"LHR", "London Heathrow Airport", "London", "GB"},
    {"MAD", "Adolfo Suarez Madrid-Barajas Airport", "Madrid", "ES"},
    {"MCT", "Muscat International Airport", "Muscat", "OM"},
    {"MED", "Prince Mohammad bin Abdulaziz International Airport", "Madinah", "SA"},
    {"NBO", "Jomo Kenyatta International Airport", "Nairobi", "KE"},
    {"RAE", "Arar Domestic Airport", "Arar", "SA"},
    {"RUH", "King Khalid International Airport", "Riyadh", "SA"},
    {"SHJ", "Sharjah International Airport", "Sharjah", "AE"},
    {"SIN", "Singapore Changi Airport", "Singapore", "SG"},
    {"TIF", "Taif International Airport", "Taif", "SA"},
    {"TUU", "Prince Sultan bin Abdulaziz Airport", "Tabuk", "SA"},
    {"ULH", "Prince Abdul Majeed bin Abdulaziz International Airport", "AlUla", "SA"},
    {"URY", "Gurayat Domestic Airport", "Qurayyat", "SA"},
    {"YNB", "Prince Abdul Mohsin bin Abdulaziz Airport", "Yanbu", "SA"},
}};

// ---------------------------------------------------------------------------------------------
// Aircraft cabin layouts (seats per cabin; 0 = cabin not offered).
// ---------------------------------------------------------------------------------------------
struct Layout { int economy, business, first; };
constexpr Layout kAllEconomy{180, 0, 0};  // low-cost A320neo (XY, F3, G9)
constexpr Layout kNarrowBody{156, 20, 0};  // two-class A320/A321
constexpr Layout kWideBody{168, 24, 0};    // two-class B787/A330 (demo-sized)
constexpr Layout kFlagship{174, 30, 8};    // three-class B777/A380 (demo-sized)

// ---------------------------------------------------------------------------------------------
// Schedule rows (one carrier's service on a route), each flown in both directions every day:
//  * outbound from `from` at each listed time (Saudi local time, AST = UTC+3, no DST);
//  * the same aircraft returns from `to` after block time + kTurnaroundMinutes;
//  * outbound departure i is flight number `number + 2*i`, its return leg `number + 2*i + 1`.
// Block time (gate to gate) is the same in both directions. Fares are one-way economy in SAR.
// ---------------------------------------------------------------------------------------------
struct ScheduleRow {
  std::string_view carrier;  // IATA airline designator
  int number;
  std::string_view from, to;
  int block_minutes;
  int economy_sar;
  Layout layout;
  std::string_view times;  // "HH:MM HH:MM ...", strictly increasing
};

constexpr ScheduleRow kSchedule[] = {
    // --- Domestic trunk routes, several times a day ---
    {"SV", 1020, "RUH", "JED", 110, 390, kFlagship, "08:00 17:00"},
    {"SV", 1030, "RUH", "JED", 110, 390, kNarrowBody, "06:00 11:00 14:00 20:00"},
    {"XY", 200, "RUH", "JED", 110, 290, kAllEconomy, "07:00 13:00 19:00"},
    {"F3", 100, "RUH", "JED", 110, 270, kAllEconomy, "09:30 15:30 22:00"},
    {"SV", 1100, "RUH", "DMM", 70, 320, kNarrowBody, "06:30 10:00 15:00 19:30"},
    {"XY", 240, "RUH", "DMM", 70, 240, kAllEconomy, "08:00 18:00"},
    {"F3", 140, "RUH", "DMM", 70, 230, kAllEconomy, "12:30 21:30"},
    {"SV", 1140, "JED", "DMM", 140, 480, kNarrowBody, "07:00 13:30 20:30"},
    {"XY", 260, "JED", "DMM", 140, 360, kAllEconomy, "09:00 17:00"},
    {"F3", 160, "JED", "DMM", 140, 340, kAllEconomy, "11:30"},
    {"SV", 1400, "RUH", "MED", 95, 360, kNarrowBody, "07:30 12:00 18:30"},
    {"XY", 280, "RUH", "MED", 95, 270, kAllEconomy, "10:30 20:00"},
    {"F3", 180, "RUH", "MED", 95, 260, kAllEconomy, "16:00"},
    {"SV", 1440, "JED", "MED", 65, 280, kNarrowBody, "08:30 16:30"},
    {"XY", 300, "JED", "MED", 65, 210, kAllEconomy, "12:00"},
    // --- Regional domestic ---
    {"SV", 1200, "RUH", "AHB", 105, 380, kNarrowBody, "07:00 17:30"},
    {"XY", 320, "RUH", "AHB", 105, 280, kAllEconomy, "13:00"},
    {"SV", 1220, "JED", "AHB", 80, 330, kNarrowBody, "10:00"},
    {"F3", 200, "JED", "AHB", 80, 240, kAllEconomy, "18:00"},
    {"SV", 1240, "RUH", "GIZ", 120, 410, kNarrowBody, "06:30 16:00"},
    {"XY", 360, "RUH", "GIZ", 120, 290, kAllEconomy, "11:00"},
    {"SV", 1260, "JED", "GIZ", 85, 320, kNarrowBody, "13:00"},
    {"SV", 1280, "RUH", "EAM", 110, 390, kNarrowBody, "15:30"},
    {"SV", 1300, "RUH", "ELQ", 60, 280, kNarrowBody, "09:00"},
    {"F3", 240, "RUH", "ELQ", 60, 210, kAllEconomy, "19:30"},
    {"XY", 380, "JED", "ELQ", 100, 290, kAllEconomy, "15:00"},
    {"SV", 1320, "RUH", "TIF", 95, 340, kNarrowBody, "10:30"},
    {"SV", 1340, "RUH", "HOF", 55, 260, kNarrowBody, "07:30"},
    {"SV", 1460, "RUH", "YNB", 110, 370, kNarrowBody, "14:30"},
    {"SV", 1500, "RUH", "TUU", 120, 420, kNarrowBody, "08:30 19:00"},
    {"F3", 220, "RUH", "TUU", 120, 300, kAllEconomy, "14:00"},
    {"SV", 1520, "JED", "TUU", 95, 360, kNarrowBody, "09:30"},
    {"XY", 340, "JED", "TUU", 95, 260, kAllEconomy, "16:30"},
    {"SV", 1540, "RUH", "AJF", 105, 380, kNarrowBody, "11:30"},
    {"SV", 1560, "RUH", "HAS", 80, 330, kNarrowBody, "12:00"},
    {"SV", 1580, "RUH", "ULH", 105, 450, kNarrowBody, "09:30"},
    {"SV", 1600, "RUH", "RAE", 100, 360, kNarrowBody, "13:30"},
    {"XY", 400, "DMM", "MED", 125, 330, kAllEconomy, "10:00"},
    // --- Gulf and regional international ---
    {"SV", 550, "RUH", "DXB", 125, 720, kNarrowBody, "07:00 13:00 21:00"},
    {"EK", 820, "RUH", "DXB", 125, 780, kFlagship, "10:30 23:30"},
    {"SV", 560, "JED", "DXB", 175, 850, kNarrowBody, "08:00 18:30"},
    {"EK", 800, "JED", "DXB", 175, 890, kFlagship, "04:30 15:00"},
    {"SV", 570, "DMM", "DXB", 90, 610, kNarrowBody, "11:00"},
    {"EK", 840, "DMM", "DXB", 90, 640, kWideBody, "17:30"},
    {"XY", 420, "DMM", "DXB", 90, 420, kAllEconomy, "20:00"},
    {"G9", 150, "RUH", "SHJ", 120, 480, kAllEconomy, "18:00"},
    {"QR", 1160, "RUH", "DOH", 85, 690, kNarrowBody, "06:00 16:30"},
    {"SV", 580, "RUH", "DOH", 85, 650, kNarrowBody, "12:30"},
    {"QR", 1180, "JED", "DOH", 150, 820, kWideBody, "03:30 14:30"},
    {"QR", 1200, "DMM", "DOH", 60, 520, kNarrowBody, "09:30"},
    {"GF", 160, "RUH", "BAH", 65, 560, kNarrowBody, "07:30 19:00"},
    {"SV", 590, "RUH", "BAH", 65, 540, kNarrowBody, "14:00"},
    {"GF", 180, "DMM", "BAH", 40, 380, kNarrowBody, "12:00"},
    {"GF", 190, "JED", "BAH", 140, 760, kNarrowBody, "10:30"},
    {"KU", 290, "RUH", "KWI", 95, 620, kNarrowBody, "10:00"},
    {"SV", 600, "RUH", "KWI", 95, 600, kNarrowBody, "17:00"},
    {"KU", 300, "JED", "KWI", 140, 760, kNarrowBody, "13:00"},
    {"XY", 440, "DMM", "KWI", 70, 390, kAllEconomy, "08:30"},
    {"EY", 310, "RUH", "AUH", 115, 700, kNarrowBody, "08:30 20:30"},
    {"EY", 330, "JED", "AUH", 170, 840, kWideBody, "12:30"},
    {"WY", 680, "RUH", "MCT", 150, 780, kNarrowBody, "09:00"},
    {"WY", 670, "JED", "MCT", 200, 880, kNarrowBody, "16:00"},
    {"SV", 300, "RUH", "CAI", 165, 980, kNarrowBody, "06:00 15:30"},
    {"MS", 620, "RUH", "CAI", 165, 940, kNarrowBody, "11:30"},
    {"XY", 460, "RUH", "CAI", 165, 690, kAllEconomy, "22:30"},
    {"SV", 310, "JED", "CAI", 130, 890, kWideBody, "09:00 19:00"},
    {"MS", 640, "JED", "CAI", 130, 860, kNarrowBody, "05:30 14:00"},
    {"MS", 660, "DMM", "CAI", 185, 990, kNarrowBody, "10:30"},
    {"RJ", 700, "RUH", "AMM", 145, 880, kNarrowBody, "12:00"},
    {"SV", 620, "RUH", "AMM", 145, 860, kNarrowBody, "17:30"},
    {"RJ", 710, "JED", "AMM", 130, 820, kNarrowBody, "15:00"},
    {"ME", 370, "RUH", "BEY", 165, 960, kNarrowBody, "13:30"},
    {"TK", 140, "RUH", "IST", 265, 1450, kWideBody, "09:30"},
    {"SV", 260, "RUH", "IST", 265, 1400, kWideBody, "02:30"},
    {"TK", 150, "JED", "IST", 240, 1380, kWideBody, "11:00"},
    // --- Long haul (Europe, Americas, Asia, Africa) ---
    {"SV", 110, "RUH", "LHR", 390, 3200, kFlagship, "01:30"},
    {"BA", 260, "RUH", "LHR", 390, 3350, kFlagship, "10:00"},
    {"SV", 114, "JED", "LHR", 390, 3100, kFlagship, "02:30"},
    {"SV", 126, "RUH", "CDG", 375, 3000, kFlagship, "02:00"},
    {"AF", 570, "RUH", "CDG", 375, 3100, kWideBody, "11:00"},
    {"SV", 128, "JED", "CDG", 365, 2950, kWideBody, "01:00"},
    {"LH", 626, "RUH", "FRA", 355, 3050, kFlagship, "01:15"},
    {"SV", 170, "RUH", "FRA", 355, 2900, kWideBody, "03:00"},
    {"SV", 172, "JED", "FRA", 345, 2850, kWideBody, "02:00"},
    {"SV", 146, "RUH", "AMS", 385, 2950, kWideBody, "02:45"},
    {"SV", 210, "JED", "FCO", 300, 2400, kWideBody, "03:30"},
    {"SV", 130, "RUH", "JFK", 790, 4600, kFlagship, "11:30"},
    {"SV", 132, "JED", "JFK", 760, 4500, kFlagship, "04:00"},
    {"SV", 840, "RUH", "KUL", 490, 2400, kWideBody, "22:00"},
    {"SV", 842, "JED", "KUL", 555, 2500, kWideBody, "20:00"},
    {"MH", 150, "JED", "KUL", 555, 2450, kWideBody, "13:30"},
    {"SV", 860, "RUH", "SIN", 540, 2700, kWideBody, "21:00"},
    {"SV", 862, "JED", "SIN", 600, 2800, kWideBody, "19:30"},
    {"SV", 816, "JED", "CGK", 570, 2350, kFlagship, "15:30"},
    {"SV", 760, "RUH", "BOM", 225, 1350, kWideBody, "23:00"},
    {"SV", 762, "RUH", "DEL", 260, 1450, kWideBody, "22:30"},
    {"SV", 700, "RUH", "KHI", 190, 1050, kNarrowBody, "21:30"},
    {"SV", 702, "JED", "KHI", 225, 1150, kWideBody, "14:00"},
    {"PK", 740, "JED", "KHI", 225, 1050, kWideBody, "18:00"},
    {"SV", 722, "RUH", "ISB", 240, 1250, kWideBody, "00:30"},
    {"SV", 724, "JED", "ISB", 290, 1350, kWideBody, "16:00"},
    {"SV", 734, "RUH", "LHE", 240, 1200, kWideBody, "23:30"},
    {"SV", 804, "RUH", "DAC", 330, 1700, kWideBody, "20:30"},
    {"BG", 136, "JED", "DAC", 360, 1650, kWideBody, "12:00"},
    {"UL", 264, "RUH", "CMB", 330, 1750, kWideBody, "05:00"},
    {"SV", 430, "JED", "NBO", 300, 1900, kWideBody, "01:45"},
    {"ET", 410, "JED", "ADD", 160, 1100, kWideBody, "10:00"},
    {"ET", 414, "RUH", "ADD", 200, 1200, kWideBody, "03:30"},
};

constexpr int kMinutesPerDay = 24 * 60;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = kMinutesPerDay * kMinuteMs;
constexpr int kSaudiUtcOffsetMinutes = 3 * 60;  // route times are AST (UTC+3)
constexpr int kTurnaroundMinutes = 60;           // ground time before the return leg

// Number of departure times in a route's "HH:MM HH:MM ..." list.
constexpr int DepartureCount(const ScheduleRow& r) { return static_cast<int>((r.times.size() + 1) / 6); }

// Minute of the (Saudi local) day of outbound departure i.
constexpr int DepartureMinute(const ScheduleRow& r, int i) {
  const std::string_view t = r.times.substr(static_cast<std::size_t>(i) * 6, 5);
  return ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 + (t[4] - '0');
}

// ---------------------------------------------------------------------------------------------
// Compile-time checks of the tables.
// ---------------------------------------------------------------------------------------------
constexpr bool AirportsSortedAndUnique() {
  return std::ranges::adjacent_find(kAirports, std::ranges::greater_equal{}, &DemoAirport::code) ==
         kAirports.end();
}

constexpr bool IsKnownAirport(std::string_view code) {
  return std::ranges::binary_search(kAirports, code, {}, &DemoAirport::code);
}

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool TimesWellFormed(const ScheduleRow& r) {
  if (r.times.size() % 6 != 5) return false;
  for (int i = 0; i < DepartureCount(r); ++i) {
    const std::string_view t = r.times.substr(static_cast<std::size_t>(i) * 6, 5);
    if (!IsDigit(t[0]) || !IsDigit(t[1]) || t[2] != ':' || !IsDigit(t[3]) || !IsDigit(t[4])) return false;
    if (t[0] > '2' || (t[0] == '2' && t[1] > '3') || t[3] > '5') return false;
    if (i > 0 && (r.times[static_cast<std::size_t>(i) * 6 - 1] != ' ' ||
                  DepartureMinute(r, i) <= DepartureMinute(r, i - 1)))
      return false;
  }
  return true;
}

constexpr bool ScheduleValid() {
  for (const ScheduleRow& r : kSchedule) {
    if (!IsKnownAirport(r.from) || !IsKnownAirport(r.to) || r.from == r.to) return false;
    if (!TimesWellFormed(r) || r.block_minutes <= 0 || r.economy_sar <= 0) return false;
    if (r.number <= 0 || r.number + 2 * DepartureCount(r) - 1 > 9999) return false;
  }
  return true;
}

// A carrier's flight-number blocks [number, number + 2*count) must not overlap, so every
// flight number denotes exactly one departure per day.
constexpr bool FlightNumbersDisjoint() {
  for (const ScheduleRow& a : kSchedule) {
    for (const ScheduleRow& b : kSchedule) {
      if (&a == &b || a.carrier != b.carrier) continue;
      if (a.number < b.number + 2 * DepartureCount(b) && b.number < a.number + 2 * DepartureCount(a))
        return false;
    }
  }
  return true;
}

static_assert(AirportsSortedAndUnique(), "kAirports must be sorted by code without duplicates");
static_assert(ScheduleValid(), "kSchedule has an unknown airport, bad times or bad flight number");
static_assert(FlightNumbersDisjoint(), "kSchedule has overlapping flight-number blocks");

// ---------------------------------------------------------------------------------------------
// Pricing: economy fare x cabin x weekday x hour, all in percent, rounded to 5 SAR.
// ---------------------------------------------------------------------------------------------
struct Cabin { std::string_view name; int Layout::*seats; int fare_percent; };
constexpr Cabin kCabins[] = {
    {"economy", &Layout::economy, 100},
    {"business", &Layout::business, 350},
    {"first", &Layout::first, 700},
};

// Index 0 = Sunday. Thursday and Sunday are the peak days around the Saudi weekend (Fri-Sat).
constexpr int kWeekdayPercent[7] = {115, 95, 90, 100, 120, 105, 100};

constexpr int HourPercent(int hour) {
  if (hour < 6) return 85;    // night
  if (hour < 10) return 110;  // morning peak
  if (hour < 16) return 100;  // midday
  if (hour < 21) return 115;  // evening peak
  return 95;                  // late evening
}

constexpr std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Weekday (0 = Sunday) of the departure in Saudi local time; 1970-01-01 was a Thursday.
constexpr int SaudiWeekday(std::int64_t utc_ms) {
  const std::int64_t day = FloorDiv(utc_ms + kSaudiUtcOffsetMinutes * kMinuteMs, kDayMs);
  return static_cast<int>(((day + 4) % 7 + 7) % 7);
}

std::int64_t PriceMinor(int economy_sar, int cabin_percent, int weekday, int local_hour) {
  const std::int64_t scaled = std::int64_t{economy_sar} * cabin_percent * kWeekdayPercent[weekday] *
                              HourPercent(local_hour);              // SAR x 10^6
  const std::int64_t sar = (scaled + 2'500'000) / 5'000'000 * 5;  // nearest 5 SAR
  return sar * 100;
}

std::string FlightId(std::string_view flight_number, std::int64_t departure_ms, std::string_view cabin) {
  // FNV-1a 64-bit over "<flight_number>|<departure_ms>|<cabin>".
  const std::string key = std::string(flight_number) + "|" + std::to_string(departure_ms) + "|" + std::string(cabin);
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  std::string id = "fl_0000000000000000";
  for (std::size_t i = id.size(); i > 3; --i, hash >>= 4) id[i - 1] = "0123456789abcdef"[hash & 0xF];
  return id;
}

// Appends one row per offered cabin for a departure at `local_minute` (Saudi time) on the UTC day
// starting at `midnight_ms`.
void AddDeparture(std::vector<DemoFlight>& out, const ScheduleRow& row, int number, std::string_view from,
                  std::string_view to, std::int64_t midnight_ms, int local_minute) {
  const int utc_minute = (local_minute - kSaudiUtcOffsetMinutes + kMinutesPerDay) % kMinutesPerDay;
  const std::int64_t departure_ms = midnight_ms + utc_minute * kMinuteMs;
  const std::string flight_number = std::string(row.carrier) + std::to_string(number);
  const int weekday = SaudiWeekday(departure_ms);
  for (const Cabin& cabin : kCabins) {
    const int seats = row.layout.*cabin.seats;
    if (seats == 0) continue;
    out.push_back(DemoFlight{
        .id = FlightId(flight_number, departure_ms, cabin.name),
        .flight_number = flight_number,
        .origin = std::string(from),
        .destination = std::string(to),
        .departure_ms = departure_ms,
        .arrival_ms = departure_ms + row.block_minutes * kMinuteMs,
        .cabin = std::string(cabin.name),
        .price_minor = PriceMinor(row.economy_sar, cabin.fare_percent, weekday, local_minute / 60),
        .currency = "SAR",
        .seats_total = seats,
    });
  }
}

}  // namespace

std::span<const DemoAirport> DemoAirports() { return kAirports; }

std::vector<DemoFlight> DemoSchedule(std::int64_t start_day_ms, int days) {
  std::vector<DemoFlight> flights;
  for (int day = 0; day < days; ++day) {
    const std::int64_t midnight_ms = start_day_ms + day * kDayMs;
    for (const ScheduleRow& row : kSchedule) {
      for (int i = 0; i < DepartureCount(row); ++i) {
        // Outbound at the listed time; the same aircraft flies back after block + turnaround,
        // wrapped into the same day so that every departure stays inside [start, start + days).
        const int out_minute = DepartureMinute(row, i);
        const int back_minute = (out_minute + row.block_minutes + kTurnaroundMinutes) % kMinutesPerDay;
        AddDeparture(flights, row, row.number + 2 * i, row.from, row.to, midnight_ms, out_minute);
        AddDeparture(flights, row, row.number + 2 * i + 1, row.to, row.from, midnight_ms, back_minute);
      }
    }
  }
  std::ranges::sort(flights, [](const DemoFlight& a, const DemoFlight& b) {
    return std::tie(a.departure_ms, a.flight_number, a.cabin) < std::tie(b.departure_ms, b.flight_number, b.cabin);
  });
  return flights;
}

}  // namespace rihla::storage
