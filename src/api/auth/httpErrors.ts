/**
 * The API's error mapping lives in src/api/errors.ts (one table for every route); the auth routes
 * use it through these names, and set it per route so they answer `{ error, message }` on any app.
 */
export { apiErrorHandler, sendApiError as sendError, toApiError, type ApiErrorBody } from '../errors.js'
