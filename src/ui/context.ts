import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { Controllers } from '../store/controllers/index.js';
import type { DashboardStore, DashboardStoreApi } from '../store/store.js';

export interface DashboardContextValue {
  store: DashboardStoreApi;
  controllers: Controllers;
}

export const DashboardContext = createContext<DashboardContextValue | null>(null);

function useDashboard(): DashboardContextValue {
  const d = useContext(DashboardContext);
  if (!d) throw new Error('dashboard components must be rendered inside <DashboardContext.Provider>');
  return d;
}

/** Selects one value from the store; the component renders again only when that value changes. */
export function useDash<T>(selector: (s: DashboardStore) => T): T {
  return useStore(useDashboard().store, selector);
}

export function useControllers(): Controllers {
  return useDashboard().controllers;
}

export function useStoreApi(): DashboardStoreApi {
  return useDashboard().store;
}
