import { z } from 'zod';
import type { RecordsOf } from '../../../state/table-state.ts';

/**
 * The airline tables of τ-bench v1 (flights.json, reservations.json, users.json), after τ²'s typed
 * model (`tau2/domains/airline/data_model.py`). Used for types and for checking the data; stored
 * records are never replaced by parsed copies. Records are strict, except the parts of a
 * reservation that τ-bench copies from the agent's arguments as given (flights, passengers,
 * payments), which may carry extra fields after a booking.
 */

/** Cabin classes, in τ-bench's order. */
export const AIRLINE_CABINS = ['basic_economy', 'economy', 'business'] as const;
export const airlineCabinSchema = z.enum(AIRLINE_CABINS);
export type AirlineCabin = z.infer<typeof airlineCabinSchema>;

const perCabin = z.record(airlineCabinSchema, z.number().int());

/** A flight's state on one date, by `status`: bookable dates carry seats and prices, the others times. */
export const flightDateSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('available'), available_seats: perCabin, prices: perCabin }),
  z.strictObject({ status: z.literal('landed'), actual_departure_time_est: z.string(), actual_arrival_time_est: z.string() }),
  z.strictObject({ status: z.literal('cancelled') }),
  z.strictObject({ status: z.literal('delayed'), estimated_departure_time_est: z.string(), estimated_arrival_time_est: z.string() }),
  z.strictObject({ status: z.literal('flying'), actual_departure_time_est: z.string(), estimated_arrival_time_est: z.string() }),
  z.strictObject({ status: z.literal('on time'), estimated_departure_time_est: z.string(), estimated_arrival_time_est: z.string() }),
]);
export type FlightDate = z.infer<typeof flightDateSchema>;

/** `flights` table, keyed by flight number. */
export const flightSchema = z.strictObject({
  flight_number: z.string(),
  origin: z.string(),
  destination: z.string(),
  /** `HH:MM:SS`. */
  scheduled_departure_time_est: z.string(),
  /** `HH:MM:SS`, with a `+1` suffix when arriving the next day. */
  scheduled_arrival_time_est: z.string(),
  /** `YYYY-MM-DD` -> state on that date. */
  dates: z.record(z.string(), flightDateSchema),
});
export type Flight = z.infer<typeof flightSchema>;

/** A passenger, on a reservation or saved in a profile. */
export const passengerSchema = z.strictObject({ first_name: z.string(), last_name: z.string(), dob: z.string() });
export type Passenger = z.infer<typeof passengerSchema>;

/** One segment of a reservation, priced when booked. */
export const reservationFlightSchema = z.looseObject({
  flight_number: z.string(),
  date: z.string(),
  price: z.number().int(),
  origin: z.string(),
  destination: z.string(),
});
export type ReservationFlight = z.infer<typeof reservationFlightSchema>;

/** A payment (positive) or refund (negative) on a reservation. */
export const reservationPaymentSchema = z.looseObject({ payment_id: z.string(), amount: z.number() });
export type ReservationPayment = z.infer<typeof reservationPaymentSchema>;

/** `reservations` table, keyed by its 6-character id. */
export const reservationSchema = z.strictObject({
  reservation_id: z.string(),
  user_id: z.string(),
  origin: z.string(),
  destination: z.string(),
  // τ-bench stores the agent's strings for these three unchecked, so any string may appear after a booking.
  /** `one_way` or `round_trip` in the data. */
  flight_type: z.string(),
  /** A cabin class (`AIRLINE_CABINS`) in the data. */
  cabin: z.string(),
  flights: z.array(reservationFlightSchema),
  passengers: z.array(passengerSchema.loose()),
  payment_history: z.array(reservationPaymentSchema),
  /** `YYYY-MM-DDTHH:MM:SS`. */
  created_at: z.string(),
  total_baggages: z.number().int(),
  nonfree_baggages: z.number().int(),
  /** `yes` or `no` in the data. */
  insurance: z.string(),
  /** Only present once cancelled. */
  status: z.literal('cancelled').optional(),
});
export type Reservation = z.infer<typeof reservationSchema>;

/** A saved payment method, by `source`; gift cards and certificates hold an amount. */
export const airlinePaymentMethodSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('credit_card'), id: z.string(), brand: z.string(), last_four: z.string() }),
  z.strictObject({ source: z.literal('gift_card'), id: z.string(), amount: z.number() }),
  z.strictObject({ source: z.literal('certificate'), id: z.string(), amount: z.number() }),
]);
export type AirlinePaymentMethod = z.infer<typeof airlinePaymentMethodSchema>;

/** `users` table (no `user_id` field in τ-bench v1). */
export const airlineUserSchema = z.strictObject({
  name: z.strictObject({ first_name: z.string(), last_name: z.string() }),
  address: z.strictObject({
    address1: z.string(),
    address2: z.string(),
    city: z.string(),
    country: z.string(),
    state: z.string(),
    zip: z.string(),
  }),
  email: z.string(),
  dob: z.string(),
  payment_methods: z.record(z.string(), airlinePaymentMethodSchema),
  saved_passengers: z.array(passengerSchema),
  membership: z.enum(['regular', 'silver', 'gold']),
  /** Reservation ids. */
  reservations: z.array(z.string()),
});
export type AirlineUser = z.infer<typeof airlineUserSchema>;

/** τ-bench v1 airline tables. */
export const AIRLINE_TABLES = { flights: flightSchema, reservations: reservationSchema, users: airlineUserSchema };

/** The records the airline tools work on. */
export type AirlineRecords = RecordsOf<typeof AIRLINE_TABLES>;
