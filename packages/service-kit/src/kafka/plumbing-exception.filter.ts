import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter turns every unknown error into `{ status: 'error', message: 'Internal server
 * error' }`, which would hide whether a failure is transient or permanent. This filter hands the original
 * error back to the plumbing, which classifies it. Register it globally on the microservice
 * (`app.useGlobalFilters(new PlumbingExceptionFilter())`); `createPlumbingMicroservice` does.
 */
@Catch()
export class PlumbingExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
