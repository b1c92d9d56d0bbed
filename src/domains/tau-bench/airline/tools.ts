import { z } from 'zod';
import { ToolError } from '../../../errors.ts';
import { cloneJson } from '../../../schema/json.ts';
import type { TableState } from '../../../state/table-state.ts';
import type { DomainTool } from '../../domain.ts';
import { pyDumps, pyReprString, pyStr } from '../py-format.ts';
import { calculateTool, enumString, mutableRecord, thinkTool, transferTool, type RecordFormatter } from '../world.ts';
import {
  AIRLINE_CABINS,
  type AirlinePaymentMethod,
  type AirlineRecords,
  type Flight,
  type Reservation,
  type ReservationFlight,
} from './tables.ts';

/** τ-bench airline tools, re-implemented from the originals (tau_bench/envs/airline/tools). */

type AirlineState = TableState<AirlineRecords>;
type AirlineTool<Input> = DomainTool<Input, AirlineRecords>;
const RESERVATION_ID = "The reservation ID, such as 'ZFA04Y'.";
const PAYMENT_ID = "The payment id stored in user profile, such as 'credit_card_7815826', 'gift_card_7815826', 'certificate_7815826'.";

const flightSchema = z.looseObject({
  flight_number: z.string().describe("Flight number, such as 'HAT001'."),
  date: z.string().describe("The date for the flight in the format 'YYYY-MM-DD', such as '2024-05-01'."),
});
const passengerSchema = z.looseObject({
  first_name: z.string().describe("The first name of the passenger, such as 'Noah'."),
  last_name: z.string().describe("The last name of the passenger, such as 'Brown'."),
  dob: z.string().describe("The date of birth of the passenger in the format 'YYYY-MM-DD', such as '1990-01-01'."),
});
const passengersSchema = z.array(passengerSchema).describe('An array of objects containing details about each passenger.');
const paymentsSchema = z
  .array(
    z.looseObject({
      payment_id: z.string().describe(PAYMENT_ID),
      amount: z.number().describe('The amount to be paid.'),
    }),
  )
  .describe('An array of objects containing details about each payment method.');
const bookInput = z.strictObject({
  user_id: z.string().describe("The ID of the user to book the reservation, such as 'sara_doe_496'."),
  origin: z.string().describe("The IATA code for the origin city, such as 'SFO'."),
  destination: z.string().describe("The IATA code for the destination city, such as 'JFK'."),
  flight_type: enumString(['one_way', 'round_trip']),
  cabin: enumString(AIRLINE_CABINS),
  flights: z.array(flightSchema).describe('An array of objects containing details about each piece of flight.'),
  passengers: passengersSchema,
  payment_methods: paymentsSchema,
  total_baggages: z.number().int().describe('The total number of baggage items included in the reservation.'),
  nonfree_baggages: z.number().int().describe('The number of non-free baggage items included in the reservation.'),
  insurance: enumString(['yes', 'no']),
});
/** A flight segment as the agent gives it (τ-bench keeps any extra fields). */
type FlightInput = z.infer<typeof flightSchema>;

/** Airline data has only ints: plain `json.dumps`. */
export const airlineFormatter: RecordFormatter = (_state, _table, _key, record) => pyDumps(record);

function fail(message: string): never {
  throw new ToolError(message);
}
/** Python's KeyError text: the repr of the missing key. */
function keyError(key: string): never {
  return fail(pyReprString(key));
}

/** The airline tool list, in τ-bench's order. */
export function createAirlineTools(): DomainTool[] {
  const reservation = (state: AirlineState, id: string, missing = 'reservation not found') =>
    state.get('reservations', id) ?? fail(missing);
  const paymentMethod = (state: AirlineState, userId: string, paymentId: string) => {
    const pms = state.get('users', userId)?.payment_methods ?? keyError(userId);
    return ownValue(pms, paymentId);
  };
  /**
   * Checks a new flight segment and returns it with price, origin and destination filled in like
   * book/update do (Python assigns them to the agent's dict: existing keys keep their place).
   */
  const priceSegment = (state: AirlineState, flight: FlightInput, cabin: string, passengers: number): ReservationFlight => {
    const flightNumber = flight.flight_number;
    const flightData = state.get('flights', flightNumber) ?? fail(`flight ${flightNumber} not found`);
    const dates = flightData.dates;
    if (!Object.hasOwn(dates, flight.date)) fail(`flight ${flightNumber} not found on date ${flight.date}`);
    const dateData = dates[flight.date];
    if (dateData.status !== 'available') return fail(`flight ${flightNumber} not available on date ${flight.date}`);
    if (!hasKey(dateData.available_seats, cabin)) return keyError(cabin);
    if (dateData.available_seats[cabin] < passengers) fail(`not enough seats on flight ${flightNumber}`);
    return { ...flight, price: dateData.prices[cabin], origin: flightData.origin, destination: flightData.destination };
  };
  const dump = (state: AirlineState, id: string) => pyDumps(state.get('reservations', id));

  // biome-ignore lint/suspicious/noExplicitAny: the list mixes tools of different inputs; each is typed by its own schema.
  const tools: AirlineTool<any>[] = [
    {
      name: 'book_reservation',
      description: 'Book a reservation.',
      kind: 'write',
      input: bookInput,
      execute(state, args: z.infer<typeof bookInput>) {
        const user = state.get('users', args.user_id) ?? fail('user not found');
        // τ-bench assumes at most three bookings per task: the third id is reused after that.
        let reservationId = 'HATHAT';
        if (state.has('reservations', reservationId)) {
          reservationId = 'HATHAU';
          if (state.has('reservations', reservationId)) reservationId = 'HATHAV';
        }
        const passengers = args.passengers.length;
        let total = 0;
        const flights: ReservationFlight[] = [];
        for (const flight of cloneJson(args.flights)) {
          const segment = priceSegment(state, flight, args.cabin, passengers);
          flights.push(segment);
          total += segment.price * passengers;
        }
        const record: Reservation = {
          reservation_id: reservationId,
          user_id: args.user_id,
          origin: args.origin,
          destination: args.destination,
          flight_type: args.flight_type,
          cabin: args.cabin,
          flights,
          passengers: cloneJson(args.passengers),
          payment_history: cloneJson(args.payment_methods),
          created_at: '2024-05-15T15:00:00',
          total_baggages: args.total_baggages,
          nonfree_baggages: args.nonfree_baggages,
          insurance: args.insurance,
        };
        if (args.insurance === 'yes') total += 30 * passengers;
        total += 50 * args.nonfree_baggages;
        for (const payment of args.payment_methods) {
          const pm = ownValue(user.payment_methods, payment.payment_id);
          if (!pm) return fail(`payment method ${payment.payment_id} not found`);
          if ((pm.source === 'gift_card' || pm.source === 'certificate') && pm.amount < payment.amount)
            fail(`not enough balance in payment method ${payment.payment_id}`);
        }
        let paid = 0;
        for (const payment of args.payment_methods) paid += payment.amount;
        if (paid !== total) fail(`payment amount does not add up, total price is ${pyStr(total)}, but paid ${pyStr(paid)}`);
        const owner = mutableRecord(state, 'users', args.user_id);
        for (const payment of args.payment_methods) {
          const pm = ownValue(owner.payment_methods, payment.payment_id);
          if (pm?.source === 'gift_card') pm.amount -= payment.amount;
          else if (pm?.source === 'certificate') delete owner.payment_methods[payment.payment_id];
          else if (!pm) keyError(payment.payment_id);
        }
        state.put('reservations', reservationId, record);
        owner.reservations.push(reservationId);
        return dump(state, reservationId);
      },
    } satisfies AirlineTool<z.infer<typeof bookInput>>,
    calculateTool('v1'),
    {
      name: 'cancel_reservation',
      description: 'Cancel the whole reservation.',
      kind: 'write',
      input: z.strictObject({ reservation_id: z.string().describe(RESERVATION_ID) }),
      execute(state, { reservation_id }: { reservation_id: string }) {
        reservation(state, reservation_id);
        const target = mutableRecord(state, 'reservations', reservation_id);
        const refunds = target.payment_history.map((payment) => ({ payment_id: payment.payment_id, amount: -payment.amount }));
        target.payment_history.push(...refunds);
        target.status = 'cancelled';
        return dump(state, reservation_id);
      },
    },
    {
      name: 'get_reservation_details',
      description: 'Get the details of a reservation.',
      kind: 'read',
      input: z.strictObject({ reservation_id: z.string().describe("The reservation id, such as '8JX2WO'.") }),
      execute(state, { reservation_id }: { reservation_id: string }) {
        // τ-bench's message really says "user" here.
        reservation(state, reservation_id, 'user not found');
        return dump(state, reservation_id);
      },
    },
    {
      name: 'get_user_details',
      description: 'Get the details of an user, including their reservations.',
      kind: 'read',
      input: z.strictObject({ user_id: z.string().describe("The user id, such as 'sara_doe_496'.") }),
      execute(state, { user_id }: { user_id: string }) {
        return pyDumps(state.get('users', user_id) ?? fail('user not found'));
      },
    },
    {
      name: 'list_all_airports',
      description: 'List all airports and their cities.',
      kind: 'read',
      input: z.strictObject({}),
      execute: () => pyDumps(AIRPORTS),
    },
    {
      name: 'search_direct_flight',
      description: 'Search direct flights between two cities on a specific date.',
      kind: 'read',
      input: z.strictObject({
        origin: z.string().describe("The origin city airport in three letters, such as 'JFK'."),
        destination: z.string().describe("The destination city airport in three letters, such as 'LAX'."),
        date: z.string().describe("The date of the flight in the format 'YYYY-MM-DD', such as '2024-01-01'."),
      }),
      execute(state, { origin, destination, date }: { origin: string; destination: string; date: string }) {
        const results: object[] = [];
        for (const flight of state.rows('flights')) {
          if (
            flight.origin === origin &&
            flight.destination === destination &&
            Object.hasOwn(flight.dates, date) &&
            flight.dates[date].status === 'available'
          ) {
            results.push({ ...withoutDates(flight), ...flight.dates[date] });
          }
        }
        return pyDumps(results);
      },
    },
    {
      name: 'search_onestop_flight',
      // Sic: τ-bench describes the one-stop search with the direct search's text.
      description: 'Search direct flights between two cities on a specific date.',
      kind: 'read',
      input: z.strictObject({
        origin: z.string().describe("The origin city airport in three letters, such as 'JFK'."),
        destination: z.string().describe("The destination city airport in three letters, such as 'LAX'."),
        date: z.string().describe("The date of the flight in the format 'YYYY-MM-DD', such as '2024-05-01'."),
      }),
      execute(state, { origin, destination, date }: { origin: string; destination: string; date: string }) {
        const flights = state.rows('flights');
        const results: object[][] = [];
        for (const first of flights) {
          if (first.origin !== origin) continue;
          for (const second of flights) {
            if (second.destination !== destination || first.destination !== second.origin) continue;
            // Not zero-padded, as in τ-bench: "2024-05-6" matches no date.
            const date2 = first.scheduled_arrival_time_est.includes('+1') ? `2024-05-${pyInt(date.slice(-2)) + 1}` : date;
            if (first.scheduled_arrival_time_est > second.scheduled_departure_time_est) continue;
            if (!Object.hasOwn(first.dates, date) || !Object.hasOwn(second.dates, date2)) continue;
            if (first.dates[date].status !== 'available' || second.dates[date2].status !== 'available') continue;
            const result1 = { ...withoutDates(first), ...first.dates[date], date };
            // τ-bench merges the second flight's data of the *first* date.
            if (!Object.hasOwn(second.dates, date)) keyError(date);
            const result2 = { ...withoutDates(second), ...second.dates[date], date: date2 };
            results.push([result1, result2]);
          }
        }
        return pyDumps(results);
      },
    },
    {
      name: 'send_certificate',
      description: 'Send a certificate to a user. Be careful!',
      kind: 'write',
      input: z.strictObject({
        user_id: z.string().describe("The ID of the user to book the reservation, such as 'sara_doe_496'."),
        amount: z.number().describe('Certificate amount to send.'),
      }),
      execute(state, { user_id, amount }: { user_id: string; amount: number }) {
        const user = state.get('users', user_id) ?? fail('user not found');
        for (const id of [3221322, 3221323, 3221324]) {
          const paymentId = `certificate_${id}`;
          if (!Object.hasOwn(user.payment_methods, paymentId)) {
            mutableRecord(state, 'users', user_id).payment_methods[paymentId] = { source: 'certificate', amount, id: paymentId };
            return `Certificate ${paymentId} added to user ${user_id} with amount ${pyStr(amount)}.`;
          }
        }
        // τ-bench returns None once the three certificate ids are taken.
        return null;
      },
    },
    thinkTool(
      'Use the tool to think about something. It will not obtain new information or change the database, but just append the thought to the log. Use it when complex reasoning is needed.',
    ),
    transferTool(
      "Transfer the user to a human agent, with a summary of the user's issue. Only transfer if the user explicitly asks for a human agent, or if the user's issue cannot be resolved by the agent with the available tools.",
    ),
    {
      name: 'update_reservation_baggages',
      description: 'Update the baggage information of a reservation.',
      kind: 'write',
      input: z.strictObject({
        reservation_id: z.string().describe(RESERVATION_ID),
        total_baggages: z.number().int().describe('The updated total number of baggage items included in the reservation.'),
        nonfree_baggages: z.number().int().describe('The updated number of non-free baggage items included in the reservation.'),
        payment_id: z.string().describe(PAYMENT_ID),
      }),
      execute(
        state,
        {
          reservation_id,
          total_baggages,
          nonfree_baggages,
          payment_id,
        }: { reservation_id: string; total_baggages: number; nonfree_baggages: number; payment_id: string },
      ) {
        const current = reservation(state, reservation_id);
        const total = 50 * Math.max(0, nonfree_baggages - current.nonfree_baggages);
        const pm = paymentMethod(state, current.user_id, payment_id) ?? fail('payment method not found');
        if (pm.source === 'certificate') fail('certificate cannot be used to update reservation');
        if (pm.source === 'gift_card' && pm.amount < total) fail('gift card balance is not enough');
        const target = mutableRecord(state, 'reservations', reservation_id);
        target.total_baggages = total_baggages;
        target.nonfree_baggages = nonfree_baggages;
        if (pm.source === 'gift_card') giftCard(mutableRecord(state, 'users', current.user_id).payment_methods, payment_id).amount -= total;
        if (total !== 0) target.payment_history.push({ payment_id, amount: total });
        return dump(state, reservation_id);
      },
    },
    {
      name: 'update_reservation_flights',
      description: 'Update the flight information of a reservation.',
      kind: 'write',
      input: z.strictObject({
        reservation_id: z.string().describe(RESERVATION_ID),
        cabin: enumString(AIRLINE_CABINS),
        flights: z
          .array(flightSchema)
          .describe(
            'An array of objects containing details about each piece of flight in the ENTIRE new reservation. Even if the a flight segment is not changed, it should still be included in the array.',
          ),
        payment_id: z.string().describe(PAYMENT_ID),
      }),
      execute(
        state,
        {
          reservation_id,
          cabin,
          flights,
          payment_id,
        }: { reservation_id: string; cabin: string; flights: FlightInput[]; payment_id: string },
      ) {
        const current = reservation(state, reservation_id);
        const passengers = current.passengers.length;
        const newFlights: ReservationFlight[] = [];
        let total = 0;
        for (const flight of cloneJson(flights)) {
          // A segment already booked in the same cabin keeps its price.
          const existing = current.flights.find(
            (f) => f.flight_number === flight.flight_number && f.date === flight.date && cabin === current.cabin,
          );
          if (existing) {
            total += existing.price * passengers;
            newFlights.push({ ...flight, price: existing.price, origin: existing.origin, destination: existing.destination });
            continue;
          }
          const segment = priceSegment(state, flight, cabin, passengers);
          newFlights.push(segment);
          total += segment.price * passengers;
        }
        let old = 0;
        for (const f of current.flights) old += f.price;
        total -= old * passengers;
        const pm = paymentMethod(state, current.user_id, payment_id) ?? fail('payment method not found');
        if (pm.source === 'certificate') fail('certificate cannot be used to update reservation');
        if (pm.source === 'gift_card' && pm.amount < total) fail('gift card balance is not enough');
        if (pm.source === 'gift_card') giftCard(mutableRecord(state, 'users', current.user_id).payment_methods, payment_id).amount -= total;
        // τ-bench keeps the reservation's cabin and does not update seat counts.
        const target = mutableRecord(state, 'reservations', reservation_id);
        target.flights = newFlights;
        if (total !== 0) target.payment_history.push({ payment_id, amount: total });
        return dump(state, reservation_id);
      },
    },
    {
      name: 'update_reservation_passengers',
      description: 'Update the passenger information of a reservation.',
      kind: 'write',
      input: z.strictObject({ reservation_id: z.string().describe(RESERVATION_ID), passengers: passengersSchema }),
      execute(state, { reservation_id, passengers }: { reservation_id: string; passengers: z.infer<typeof passengersSchema> }) {
        const current = reservation(state, reservation_id);
        if (passengers.length !== current.passengers.length) fail('number of passengers does not match');
        mutableRecord(state, 'reservations', reservation_id).passengers = cloneJson(passengers);
        return dump(state, reservation_id);
      },
    },
  ];
  return tools;
}

/** `map[key]` for own keys only (Python's `in` on a dict), else undefined. */
function ownValue<Value>(map: Readonly<Record<string, Value>>, key: string): Value | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Whether `key` is an own key of `map` (then typed as one of its keys). */
function hasKey<Key extends string>(map: Readonly<Record<Key, unknown>>, key: string): key is Key {
  return Object.hasOwn(map, key);
}

/** A user's gift card, to change its amount: Python's KeyError when the id is missing or holds no amount. */
function giftCard(
  paymentMethods: Record<string, AirlinePaymentMethod>,
  id: string,
): Extract<AirlinePaymentMethod, { source: 'gift_card' }> {
  const pm = ownValue(paymentMethods, id) ?? keyError(id);
  return pm.source === 'gift_card' ? pm : keyError('amount');
}

const AIRPORTS: Record<string, string> = {
  SFO: 'San Francisco',
  JFK: 'New York',
  LAX: 'Los Angeles',
  ORD: 'Chicago',
  DFW: 'Dallas',
  DEN: 'Denver',
  SEA: 'Seattle',
  ATL: 'Atlanta',
  MIA: 'Miami',
  BOS: 'Boston',
  PHX: 'Phoenix',
  IAH: 'Houston',
  LAS: 'Las Vegas',
  MCO: 'Orlando',
  EWR: 'Newark',
  CLT: 'Charlotte',
  MSP: 'Minneapolis',
  DTW: 'Detroit',
  PHL: 'Philadelphia',
  LGA: 'LaGuardia',
};

function withoutDates(flight: Readonly<Flight>): Omit<Flight, 'dates'> {
  const { dates: _dates, ...rest } = flight;
  return rest;
}

/** Python `int(text)` for a short decimal text, with its ValueError message. */
function pyInt(text: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) fail(`invalid literal for int() with base 10: ${pyReprString(text)}`);
  return Number(text.trim());
}
